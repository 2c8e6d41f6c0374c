
# ---- JSON: registry and archive documents, read without a JSON tool ---------------
# The target host has no jq, so the few documents an image pull reads (an index, a
# manifest, an image config, a token) are parsed here. json_parse TEXT fills
#   JSON[PATH]         every scalar: strings decoded; numbers, true, false, null as their text
#   JSON_TYPE[PATH]    string, number, true, false, null, object or array
#   JSON_KEYS[PATH]    an object's keys, each followed by a newline, in document order
#   JSON_LENGTH[PATH]  an array's length
# PATH is written as in jq: . for the document, .config.digest, .layers[0].size. A key
# with a dot or bracket in it ("80/tcp", "org.opencontainers.image.ref.name") is still
# one step: look paths up, never split them.
# Limits: one document of up to a few hundred KB (each string copies the rest of the text);
# a key that repeats keeps its last value; a \u0000 escape (which bash cannot hold) and
# text after the document are errors. It fails with the byte offset on malformed input.
declare -A JSON=() JSON_TYPE=() JSON_KEYS=() JSON_LENGTH=()
json_parse() {
  local LC_ALL=C
  local s=$1 n=${#1} i=0 c want='value' path=. base value literal
  local -a open=() kind=() count=() # the containers being read, innermost last
  local depth=0
  JSON=() JSON_TYPE=() JSON_KEYS=() JSON_LENGTH=()
  while :; do
    # skip white space, a window at a time
    while :; do
      value=${s:i:256}
      value=${value%%[!$' \t\r\n']*}
      ((i += ${#value}))
      ((${#value} == 256)) || break
    done
    if ((i == n)); then
      [[ $want == end ]] || { REPLY="the text ends inside the document (at byte $i)"; return 1; }
      return 0
    fi
    c=${s:i:1}
    case $want:$c in
      end:*) REPLY="text after the document (at byte $i)"; return 1 ;;
      colon::) ((++i)); want='value'; continue ;;
      colon:*) REPLY="expected ':' at byte $i"; return 1 ;;
      next:,)
        ((++i))
        if [[ ${kind[depth - 1]} == object ]]; then want='key'; else want='value'; fi
        continue ;;
      next:\} | next:\] | first:\] | key-or-end:\})
        if [[ ${kind[depth - 1]} == object && $c != '}' || ${kind[depth - 1]} == array && $c != ']' ]]; then
          REPLY="'$c' does not close the ${kind[depth - 1]} at byte $i"; return 1
        fi
        ((++i, --depth))
        if [[ ${kind[depth]} == array ]]; then JSON_LENGTH[${open[depth]}]=${count[depth]}; fi
        unset 'open[depth]' 'kind[depth]' 'count[depth]'
        if ((depth)); then want='next'; else want='end'; fi
        continue ;;
      next:*) REPLY="expected ',' or the end of the ${kind[depth - 1]} at byte $i"; return 1 ;;
      key:\" | key-or-end:\")
        json_read_string "$s" "$i" || return 1
        i=$JSON_END
        base=${open[depth - 1]}
        [[ $base != . ]] || base=''
        path=$base.$REPLY
        JSON_KEYS[${open[depth - 1]}]+="$REPLY"$'\n'
        want='colon'
        continue ;;
      key:* | key-or-end:*) REPLY="expected a key (a string) at byte $i"; return 1 ;;
      first:* | value:*)
        # a value: inside an array its path is the next index
        if ((depth)) && [[ ${kind[depth - 1]} == array ]]; then
          base=${open[depth - 1]}
          [[ $base != . ]] || base=''
          path="${base:-.}[${count[depth - 1]}]"
          count[depth - 1]=$((count[depth - 1] + 1))
        fi ;;
    esac
    case $c in
      \{)
        JSON_TYPE[$path]=object JSON_KEYS[$path]=''
        open[depth]=$path kind[depth]=object count[depth]=0
        ((++i, ++depth))
        want='key-or-end' ;;
      \[)
        JSON_TYPE[$path]=array JSON_LENGTH[$path]=0
        open[depth]=$path kind[depth]=array count[depth]=0
        ((++i, ++depth))
        want='first' ;;
      \")
        json_read_string "$s" "$i" || return 1
        i=$JSON_END
        JSON[$path]=$REPLY JSON_TYPE[$path]=string
        if ((depth)); then want='next'; else want='end'; fi ;;
      *)
        literal='^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)'
        [[ ${s:i:64} =~ $literal ]] || { REPLY="unexpected '$c' at byte $i"; return 1; }
        value=${BASH_REMATCH[0]}
        JSON[$path]=$value
        case $value in true | false | null) JSON_TYPE[$path]=$value ;; *) JSON_TYPE[$path]=number ;; esac
        ((i += ${#value}))
        if ((depth)); then want='next'; else want='end'; fi ;;
    esac
  done
}

# The string that starts with the quote at byte $2 of $1: REPLY = its decoded text,
# JSON_END = the byte after its closing quote.
json_read_string() {
  local LC_ALL=C
  local rest=${1:$2+1} text='' plain escape hex code low
  JSON_END=$(($2 + 1))
  while :; do
    plain=${rest%%[\"\\]*}
    text+=$plain
    rest=${rest:${#plain}}
    ((JSON_END += ${#plain}))
    case ${rest:0:1} in
      \") ((++JSON_END)); REPLY=$text; return 0 ;;
      '') REPLY="a string that does not end (it starts at byte $2)"; return 1 ;;
    esac
    escape=${rest:1:1}
    case $escape in
      \" | \\ | /) text+=$escape ;;
      b) text+=$'\b' ;;
      f) text+=$'\f' ;;
      n) text+=$'\n' ;;
      r) text+=$'\r' ;;
      t) text+=$'\t' ;;
      u)
        hex=${rest:2:4}
        [[ $hex == [0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F] ]] || { REPLY="a bad \\u escape at byte $JSON_END"; return 1; }
        code=$((16#$hex))
        # a UTF-16 surrogate pair: \uD83D\uDE00 is one character
        if ((code >= 0xD800 && code < 0xDC00)) && [[ ${rest:6:2} == '\u' && ${rest:8:4} == [dD][c-fC-F][0-9a-fA-F][0-9a-fA-F] ]]; then
          low=$((16#${rest:8:4}))
          code=$((0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
          rest=${rest:6} JSON_END=$((JSON_END + 6))
        fi
        ((code)) || { REPLY="a \\u0000 escape at byte $JSON_END: tupper cannot carry NUL in a string"; return 1; }
        json_utf8 "$code"
        text+=$REPLY
        rest=${rest:4} JSON_END=$((JSON_END + 4)) ;;
      *) REPLY="a bad escape '\\$escape' at byte $JSON_END"; return 1 ;;
    esac
    rest=${rest:2}
    ((JSON_END += 2))
  done
}

# REPLY = Unicode code point $1 encoded as UTF-8.
json_utf8() {
  local code=$1 format
  if ((code < 0x80)); then printf -v format '\\x%02x' "$code"
  elif ((code < 0x800)); then printf -v format '\\x%02x\\x%02x' $((0xC0 | code >> 6)) $((0x80 | (code & 0x3F)))
  elif ((code < 0x10000)); then
    printf -v format '\\x%02x\\x%02x\\x%02x' $((0xE0 | code >> 12)) $((0x80 | (code >> 6 & 0x3F))) $((0x80 | (code & 0x3F)))
  else
    printf -v format '\\x%02x\\x%02x\\x%02x\\x%02x' $((0xF0 | code >> 18)) $((0x80 | (code >> 12 & 0x3F))) \
      $((0x80 | (code >> 6 & 0x3F))) $((0x80 | (code & 0x3F)))
  fi
  # shellcheck disable=SC2059 # the format is \x escapes made from numbers above
  printf -v REPLY "$format"
}
