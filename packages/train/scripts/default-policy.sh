#!/usr/bin/env bash
# The default policy's recipe (issue 13): collect scenes A–C (training) + D (validation) with whole-subtask
# annotations, train tiny-vlm + LSTM (policy-head, W 8, N 10, both cameras, frozen random ViT from the image
# cache), then run CALVIN chains in scene D with the trained policy and with the random policy on the same chains.
#
# Every stage is seeded and resumable: run the script again after a kill (or Ctrl-C during training, which writes
# a checkpoint) and it continues where it stopped. Wall times of each stage are appended to $RUN/stage-times.tsv.
#
#   packages/train/scripts/default-policy.sh                      # all stages
#   STAGES="train bench" STEPS=6000 packages/train/scripts/default-policy.sh   # extend training, re-bench
#
# Settings (environment): DATA, RUN, CONFIG, TRAIN_FLAGS (extra `robovla train` flags, e.g. --state-token), EPISODES, VAL_EPISODES, NOISE (DART std, 0 = off), STEPS, CHAINS, WORKERS,
# NICE (prefix for every heavy command; default "nice -n 15" so that a shared machine's other jobs go first).
set -euo pipefail
cd "$(dirname "$0")/../../.."

DATA=${DATA:-data/default-abc-d}
RUN=${RUN:-runs/default}
EPISODES=${EPISODES:-240}
VAL_EPISODES=${VAL_EPISODES:-24}
NOISE=${NOISE:-0}
STEPS=${STEPS:-6401}
CHAINS=${CHAINS:-100}
WORKERS=${WORKERS:-2}
NICE=${NICE:-nice -n 15}
STAGES=${STAGES:-collect train bench random}
CONFIG=${CONFIG:-packages/train/scripts/default-policy.json}
TRAIN_FLAGS=${TRAIN_FLAGS:-}
POLICY="vla:@robovla/backbone-tiny-vlm+@robovla/head-lstm@$RUN/policy"
# Workspace packages resolve to their TypeScript sources under this condition (as npm scripts do via .npmrc).
export NODE_OPTIONS="${NODE_OPTIONS:-} --conditions=@robovla/source"

mkdir -p "$RUN"
TIMES=$RUN/stage-times.tsv
[ -f "$TIMES" ] || printf 'stage\tseconds\tfinished (UTC)\tcommand\n' > "$TIMES"

stage() {
  local name=$1
  shift
  local start
  start=$(date +%s)
  echo "== $name: $*"
  $NICE npx robovla "$@"
  printf '%s\t%s\t%s\t%s\n' "$name" "$(($(date +%s) - start))" "$(date -u +%FT%TZ)" "robovla $*" >> "$TIMES"
}

has() { [[ " $STAGES " == *" $1 "* ]]; }

if has collect; then
  resume=()
  [ -f "$DATA/collect.json" ] && resume=(--resume)
  stage collect collect --scenes A,B,C --episodes "$EPISODES" --val-scene D --val-episodes "$VAL_EPISODES" \
    --balance --attempts 3 --workers "$WORKERS" --noise "$NOISE" --seed 0 --quiet --out "$DATA" "${resume[@]}"
fi

if has train; then
  resume=()
  [ -f "$RUN/checkpoints/latest.json" ] && resume=(--resume)
  stage train train --config "$CONFIG" --data "$DATA" --out "$RUN" --max-steps "$STEPS" --quiet $TRAIN_FLAGS "${resume[@]}"
fi

if has bench; then
  out=$RUN/bench-calvin-$CHAINS
  resume=()
  [ -d "$out" ] && resume=(--resume)
  stage bench bench --suite calvin --scene D --chains "$CHAINS" --workers "$WORKERS" --policy "$POLICY" --out "$out" --quiet "${resume[@]}"
fi

if has random; then
  out=$RUN/bench-random-$CHAINS
  resume=()
  [ -d "$out" ] && resume=(--resume)
  stage random bench --suite calvin --scene D --chains "$CHAINS" --workers "$WORKERS" --policy random:0 --out "$out" --quiet "${resume[@]}"
fi
