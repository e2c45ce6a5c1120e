#!/usr/bin/env bash
# Builds a layer (the deps layer, or the folder given, e.g. layers/analytics) into <layer>/build/python for the
# Lambda runtime (arm64), without Docker: pip picks manylinux aarch64 wheels (LAYER_PLATFORMS, manylinux2014 unless
# set) for the runtime's Python (infra.bytecode). Skips the work when <layer>/requirements.txt, the platforms and
# the target runtime are unchanged since the last build. The factory compiles the layer's bytecode when it makes
# the asset (infra/constructs/functions.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$(cd "${1:-$root/layers/deps}" && pwd)"
platforms="${LAYER_PLATFORMS:-manylinux2014_aarch64}"
python_version="${LAYER_PYTHON_VERSION:-$(cd "$root" && .venv/bin/python -m infra.bytecode version)}"
pip="${PIP:-$root/.venv/bin/pip}"
build="$here/build"
stamp="$build/.stamp"
wanted="$(cat "$here/requirements.txt" "$0" | sha256sum | cut -d' ' -f1) $platforms python$python_version"
# Strips the arm64 libraries of this machine's architecture: llvm-strip reads every architecture.
strip="${STRIP:-$(command -v llvm-strip || command -v aarch64-linux-gnu-strip || true)}"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "layer is up to date: $build"
  exit 0
fi
if [[ -z "$strip" ]]; then
  echo "build.sh needs llvm-strip (Debian/Ubuntu: apt-get install llvm) or aarch64-linux-gnu-strip" >&2
  exit 1
fi

rm -rf "$build"
"$pip" install --quiet --disable-pip-version-check --no-compile --no-deps \
  $(printf -- '--platform %s ' $platforms) --implementation cp --python-version "$python_version" \
  --only-binary=:all: --target "$build/python" -r "$here/requirements.txt"
# What a function never loads goes, so that the layer and its bytecode stay under 30 MB: type stubs,
# Powertools' Swagger UI page (no function serves it), and the symbol tables of the native libraries
# (linking and running them needs only their dynamic symbols).
find "$build/python" -name "*.pyi" -delete
swagger="$build/python/aws_lambda_powertools/event_handler/openapi/swagger_ui"
if [[ -d "$swagger" ]]; then rm "$swagger/"*.{js,css}; fi
find "$build/python" -name "*.so" -exec "$strip" --strip-unneeded {} +
echo "$wanted" > "$stamp"
echo "built layer: $build ($(du -sh "$build/python" | cut -f1))"
