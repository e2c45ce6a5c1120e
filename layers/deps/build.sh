#!/usr/bin/env bash
# Builds the deps layer into layers/deps/build/python for the Lambda runtime (arm64), without Docker:
# pip picks manylinux aarch64 wheels for the runtime's Python. Skips the work when requirements.txt and
# the target runtime are unchanged since the last build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python_version="${LAYER_PYTHON_VERSION:-$(cd "$here/../.." && .venv/bin/python -m infra.bytecode version)}"
pip="${PIP:-$here/../../.venv/bin/pip}"
build="$here/build"
stamp="$build/.stamp"
wanted="$(cat "$here/requirements.txt" "$0" | sha256sum | cut -d' ' -f1) python$python_version"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "deps layer is up to date: $build"
  exit 0
fi

rm -rf "$build"
"$pip" install --quiet --disable-pip-version-check --no-compile --no-deps \
  --platform manylinux2014_aarch64 --implementation cp --python-version "$python_version" \
  --only-binary=:all: --target "$build/python" -r "$here/requirements.txt"
echo "$wanted" > "$stamp"
echo "built deps layer: $build ($(du -sh "$build/python" | cut -f1))"
