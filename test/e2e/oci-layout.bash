# Builds OCI image layouts from the busybox rootfs for tests that need an image with a given
# config or layer compression (skopeo cannot write a zstd layer or a HEALTHCHECK by itself).

# make_oci_layout DIR NAME COMPRESSION CONFIG: an OCI image layout at DIR with one image,
# named NAME: the busybox root ($ROOTFS) as one layer compressed with COMPRESSION (gzip or
# zstd), and CONFIG (a JSON object) as the image config's "config".
make_oci_layout() {
  local dir=$1 name=$2 compression=$3 config_json=$4 tar layer config manifest
  mkdir -p "$dir/blobs/sha256"
  tar -C "$ROOTFS" -cf "$dir/layer.tar" .
  tar=$(sha256sum < "$dir/layer.tar" | cut -d' ' -f1)
  case $compression in
    gzip) gzip -n < "$dir/layer.tar" > "$dir/layer.compressed" ;;
    zstd) zstd -q "$dir/layer.tar" -o "$dir/layer.compressed" ;;
    *) echo "make_oci_layout: compression gzip or zstd, not $compression" >&2; return 1 ;;
  esac
  layer=$(sha256sum < "$dir/layer.compressed" | cut -d' ' -f1)
  mv "$dir/layer.compressed" "$dir/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$config_json" "$tar" > "$dir/config"
  config=$(sha256sum < "$dir/config" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+%s","digest":"sha256:%s","size":%s}]}' \
    "$config" "$(stat -c %s "$dir/config")" "$compression" "$layer" "$(stat -c %s "$dir/blobs/sha256/$layer")" > "$dir/manifest"
  manifest=$(sha256sum < "$dir/manifest" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$(stat -c %s "$dir/manifest")" "$name" > "$dir/index.json"
  mv "$dir/config" "$dir/blobs/sha256/$config"
  mv "$dir/manifest" "$dir/blobs/sha256/$manifest"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  rm "$dir/layer.tar"
}
