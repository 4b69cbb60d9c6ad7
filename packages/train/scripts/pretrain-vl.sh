#!/usr/bin/env bash
# The vision-language pre-training recipe (issue 13 §2): generate image–text pairs in scenes A–C with the scripted
# experts (`robovla vl-pairs`), then pre-train tiny-vlm (the default-policy sizes: ViT 32 px, patch 8, width 32 × 2
# layers, decoder D 64 × 2 layers) on them with next-token prediction of captions and answers, everything trained,
# and score greedy decoding on the held-out arrangements against the blind baseline.
#
# Every stage is seeded and resumable: run the script again after a kill or Ctrl-C (which writes a checkpoint) and
# it continues where it stopped (bit-identical to an uninterrupted run). Wall times of each stage are appended to
# $RUN/stage-times.tsv. The weights land in $RUN/backbone/ (backbone.safetensors + backbone.json), which
# `robovla train --backbone-weights $RUN/backbone` loads.
#
#   packages/train/scripts/pretrain-vl.sh                       # all stages
#   STAGES=pretrain STEPS=6000 packages/train/scripts/pretrain-vl.sh    # extend pre-training
#   MODEL=models/tiny-vlm-pretrained STAGES=publish packages/train/scripts/pretrain-vl.sh   # copy the weights
#   BACKBONE_CONFIG=packages/train/scripts/tiny-vlm-wide.json RUN=runs/vl-wide packages/train/scripts/pretrain-vl.sh
#                                                               # other sizes (here a decoder of width 128)
#
# Settings (environment): DATA, RUN, EPISODES (per scene), STEPS, BATCH, LR, EVAL_EVERY, FINAL_CAPTIONS, MODEL (publish target),
# BACKBONE_CONFIG (a JSON file of backbone sizes over the plugin's defaults; robovla train needs the same backboneConfig),
# NICE (prefix for every heavy command; default "nice -n 15" so that a shared machine's other jobs go first).
set -euo pipefail
cd "$(dirname "$0")/../../.."

DATA=${DATA:-data/vl-abc}
RUN=${RUN:-runs/vl-pretrain}
EPISODES=${EPISODES:-120}
STEPS=${STEPS:-4000}
BATCH=${BATCH:-32}
LR=${LR:-1e-3}
EVAL_EVERY=${EVAL_EVERY:-500}
# Val captions decoded at the end (every val question is): greedy captions without a KV cache cost ~75 forward
# passes each, so all 1,748 would take longer than the training on 2 shared cores.
FINAL_CAPTIONS=${FINAL_CAPTIONS:-300}
MODEL=${MODEL:-models/tiny-vlm-pretrained}
BACKBONE_CONFIG=${BACKBONE_CONFIG:-}
NICE=${NICE:-nice -n 15}
STAGES=${STAGES:-pairs pretrain}
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

if has pairs; then
  resume=()
  [ -f "$DATA/vl-pairs.json" ] && resume=(--resume)
  stage pairs vl-pairs --scenes A,B,C --episodes "$EPISODES" --seed 0 --quiet --out "$DATA" "${resume[@]}"
fi

if has pretrain; then
  resume=()
  [ -f "$RUN/checkpoints/latest.json" ] && resume=(--resume)
  sizes=()
  [ -n "$BACKBONE_CONFIG" ] && sizes=(--backbone-config "$BACKBONE_CONFIG")
  stage pretrain pretrain-vl --pairs "$DATA" --out "$RUN" --steps "$STEPS" --batch-size "$BATCH" --lr "$LR" \
    --eval-every "$EVAL_EVERY" --final-captions "$FINAL_CAPTIONS" --seed 0 "${sizes[@]}" "${resume[@]}"
fi

if has publish; then
  mkdir -p "$MODEL"
  cp "$RUN/backbone/backbone.safetensors" "$RUN/backbone/backbone.json" "$RUN/curve.html" "$RUN/curve.png" "$RUN/summary.json" "$RUN/stage-times.tsv" "$MODEL/"
  grep -v '"type":"train"' "$RUN/log.jsonl" > "$MODEL/evaluations.jsonl"
  echo "== publish: $MODEL"
fi
