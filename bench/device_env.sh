# bench/device_env.sh — sourced by the scripts that run on a borrowed machine
# (bench/device_check.sh, bench/device_corpus.sh): the repository root, the
# output folder, and the payload built by bench/device_prepare.sh.
#
#   . "$(dirname "$0")/device_env.sh"; device_payload DIR
#
# Sets root (and cd's there) and OUT (absolute, created; default
# ./device-out). device_payload DIR exports what the payload in DIR/ needs:
# its own shared libraries, and LMZ_MODEL (its lmz does not embed the model:
# the tree's models/lmz-base.gguf gives the same frames).
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
OUT=${OUT:-./device-out}
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)

device_payload() {
    export LD_LIBRARY_PATH=$root/$1/devlibs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LMZ_MODEL=${LMZ_MODEL:-$root/models/lmz-base.gguf}
}
