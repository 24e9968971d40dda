#!/usr/bin/env bash
# tests/layering/check_layers.sh — every #include "..." of lib/, programs/
# and include/ follows the allowed-dependency table (doc/design.md, Layers).
#
# Usage: check_layers.sh [SOURCE_ROOT]     (default: the repository root)
#
# An include is resolved to a layer: "x/y.h" -> lib/x, a name found in
# include/ -> include (the public API), anything else -> the including
# file's own folder. <...> includes (system, libzstd, liblzma) are not
# checked. Exit status 1 on any include the table does not allow.
set -u
ROOT=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2

# layer: the layers it may include besides itself (keep in step with doc/design.md, Layers)
declare -A ALLOW=(
  [include]=""
  [common]="include"
  [kernels]="include common"
  [model]="include common kernels"
  [coder]="include common kernels"
  [mix]="include common kernels coder"
  [format]="include common"
  [codec]="include common kernels model coder mix format"
  [decompress]="include common kernels model coder mix format codec"
  [compress]="include common kernels model coder mix format codec"
  [lossy]="include common kernels model coder mix format codec compress decompress"
  # the CLI: the public API, and lossy/lossy.h (the lossy mode's options and
  # entry point are not public API yet)
  [programs]="include"
)

layer_of() { # path of a source file -> its layer
  case $1 in
    include/*) echo include ;;
    programs/*) echo programs ;;
    lib/*) local d=${1#lib/}; echo "${d%%/*}" ;;
  esac
}

fail=0 n=0
files=$(ls include/*.h lib/*/*.c lib/*/*.h programs/*.c programs/*.h 2>/dev/null)
for f in $files; do
  from=$(layer_of "$f")
  if [ -z "${ALLOW[$from]+set}" ]; then
    echo "check_layers: $f: folder '$from' is not in the table (add it to the table and doc/design.md, Layers)"
    fail=1
    continue
  fi
  while IFS=: read -r line inc; do
    n=$((n + 1))
    if [[ $inc == */* ]]; then to=${inc%%/*}
    elif [ -f "include/$inc" ]; then to=include
    else to=$from
    fi
    [ "$to" = "$from" ] && continue
    case " ${ALLOW[$from]} " in
      *" $to "*) ;;
      *) echo "check_layers: $f:$line: #include \"$inc\": $from may not include $to (doc/design.md, Layers)"
         fail=1 ;;
    esac
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed -E 's/^([0-9]+):[^"]*"([^"]*)".*/\1:\2/')
done
if [ $fail = 0 ]; then
  echo "check_layers: ok: $n includes in $(echo "$files" | wc -w) files follow the table"
fi
exit $fail
