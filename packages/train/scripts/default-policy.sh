#!/usr/bin/env bash
# The default policy's recipe (issue 13), from a fresh clone to an exported, benchmarked policy:
#   collect   scenes A–C (training) + D (validation) with whole-subtask annotations
#   pretrain  make tiny-vlm a VLM first: image–text pairs + next-token pre-training (pretrain-vl.sh), unless
#             BACKBONE names existing weights (e.g. the committed models/tiny-vlm-pretrained)
#   train     tiny-vlm + LSTM (policy-head, W 1 × batch 64, N 10, both cameras), from the pre-trained backbone
#   export    the ONNX export of the trained policy, verified against it
#   bench     CALVIN chains in scene D with the trained policy, and with the random policy on the same chains
#   single    calvin-single in scene D (the 27 of 34 tasks that CALVIN's initial states allow, PER_TASK valid starts
#             each), policy and random
#
# Every stage is seeded and resumable: run the script again after a kill (or Ctrl-C during training, which writes
# a checkpoint) and it continues where it stopped. Wall times of each stage are appended to $RUN/stage-times.tsv.
#
#   packages/train/scripts/default-policy.sh                      # all stages
#   STAGES="train bench" STEPS=6000 packages/train/scripts/default-policy.sh   # extend training, re-bench
#   BACKBONE=models/tiny-vlm-pretrained STAGES="collect train" ...                # skip pre-training
#   BACKBONE=none ...                                                             # a random backbone (the first default)
#   RESIZE=2 CONFIG=packages/train/scripts/default-policy-64px.json ...           # 64-px images, same token grid
#
# Settings (environment): DATA, RUN, CONFIG, PER_TASK (calvin-single starts per task), BACKBONE (backbone weights folder; default: the pretrain stage's
# output, runs/vl-pretrain/backbone; "none" = random init), VL_STEPS (pre-training steps), TRAIN_FLAGS (extra `robovla train` flags, e.g. --state-token), RESIZE (K > 1: train from the backbone re-targeted to K× larger
# images with K× larger patches, the same token grid; written to $RUN/backbone-x$RESIZE; the config must name the new size), EPISODES, VAL_EPISODES, NOISE (DART std, 0 = off), STEPS, CHAINS, WORKERS,
# NICE (prefix for every heavy command; default "nice -n 15" so that a shared machine's other jobs go first).
set -euo pipefail
cd "$(dirname "$0")/../../.."

DATA=${DATA:-data/default-abc-d}
RUN=${RUN:-runs/default}
EPISODES=${EPISODES:-240}
VAL_EPISODES=${VAL_EPISODES:-24}
NOISE=${NOISE:-0}
STEPS=${STEPS:-5000}
CHAINS=${CHAINS:-200}
WORKERS=${WORKERS:-2}
NICE=${NICE:-nice -n 15}
STAGES=${STAGES:-collect pretrain train export bench random single}
PER_TASK=${PER_TASK:-3}
VL_DATA=${VL_DATA:-data/vl-abc}
VL_RUN=${VL_RUN:-runs/vl-pretrain}
VL_STEPS=${VL_STEPS:-4000}
BACKBONE=${BACKBONE:-$VL_RUN/backbone}
CONFIG=${CONFIG:-packages/train/scripts/default-policy.json}
RESIZE=${RESIZE:-1}
TRAIN_FLAGS=${TRAIN_FLAGS:-}
POLICY="vla:@robovla/backbone-tiny-vlm+@robovla/head-lstm@$RUN/policy"
# Workspace packages resolve to their TypeScript sources under this condition (as npm scripts do via .npmrc).
export NODE_OPTIONS="${NODE_OPTIONS:-} --conditions=@robovla/source"

if [ "$RESIZE" != 1 ] && [ "$BACKBONE" = none ]; then
  echo "RESIZE=$RESIZE re-targets pre-trained backbone weights, but BACKBONE=none asks for a random backbone: set one of them" >&2
  exit 2
fi
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

if has pretrain; then
  # Its own stages (pairs, pretrain) are resumable and log their times to $VL_RUN/stage-times.tsv; the total lands here.
  start=$(date +%s)
  echo "== pretrain: packages/train/scripts/pretrain-vl.sh (RUN=$VL_RUN STEPS=$VL_STEPS)"
  STAGES="pairs pretrain" DATA="$VL_DATA" RUN="$VL_RUN" STEPS="$VL_STEPS" NICE="$NICE" FINAL_CAPTIONS="${FINAL_CAPTIONS:-100}" packages/train/scripts/pretrain-vl.sh
  printf '%s\t%s\t%s\t%s\n' pretrain "$(($(date +%s) - start))" "$(date -u +%FT%TZ)" "pretrain-vl.sh RUN=$VL_RUN STEPS=$VL_STEPS" >> "$TIMES"
fi

if has train; then
  resume=()
  [ -f "$RUN/checkpoints/latest.json" ] && resume=(--resume)
  backbone=()
  if [ "$BACKBONE" != none ]; then
    [ -f "$BACKBONE/backbone.safetensors" ] || { echo "no backbone weights in $BACKBONE: run the pretrain stage, or set BACKBONE=models/tiny-vlm-pretrained (or none)" >&2; exit 1; }
    if [ "$RESIZE" != 1 ]; then
      # Exact: the resized model on a K× image equals the original on the average-pooled image (resizePatchEmbedding).
      resized=$RUN/backbone-x$RESIZE
      [ -f "$resized/backbone.safetensors" ] || $NICE npx tsx packages/train/experiments/resize-backbone.ts --from "$BACKBONE" --factor "$RESIZE" --out "$resized"
      backbone=(--backbone-weights "$resized")
    else
      backbone=(--backbone-weights "$BACKBONE")
    fi
  fi
  stage train train --config "$CONFIG" --data "$DATA" --out "$RUN" --max-steps "$STEPS" --quiet "${backbone[@]}" $TRAIN_FLAGS "${resume[@]}"
fi

if has export; then
  stage export export --checkpoint "$RUN/policy" --out "$RUN/onnx" --force
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

if has single; then
  for spec in "$POLICY" random:0; do
    name=bench-single-$PER_TASK
    [ "$spec" = random:0 ] && name=bench-single-random-$PER_TASK
    out=$RUN/$name
    resume=()
    [ -d "$out" ] && resume=(--resume)
    stage "single" bench --suite calvin-single --scene D --per-task "$PER_TASK" --workers "$WORKERS" --policy "$spec" --out "$out" --quiet "${resume[@]}"
  done
fi
