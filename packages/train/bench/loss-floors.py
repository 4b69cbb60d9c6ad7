#!/usr/bin/env python3
"""Reference lines for reading a training curve: the arm loss (Huber, normalised like the trainer: clip ±0.65,
/0.65) of blind predictors on a dataset's validation windows (W frames, N 10, segment sampling, whole annotations).

  python3 packages/train/bench/loss-floors.py data/default-abc-d [K] [W]

K: only the first K validation windows in index order (what `--val-batches K/batch` validates on); W: the window
(default 8; the default recipe's is 1, so `... data/default-abc-d 2560 1` for its 40 batches of 64).
A trained policy's validation loss (minus ~0.007 for the gripper term at chance) must fall below these lines
before it uses the image at all.
"""
import sys
import numpy as np

N, CLIP = 10, 0.65


def windows(split_dir, W):
    ann = np.load(f"{split_dir}/lang_annotations/auto_lang_ann.npy", allow_pickle=True).item()
    labels, masks, tasks, progress = [], [], [], []
    for (start, end), task in zip(ann["info"]["indx"], ann["language"]["task"]):
        acts = np.stack([np.load(f"{split_dir}/episode_{k:07d}.npz")["rel_actions"] for k in range(start, end + 1)])
        span = end - start
        for s in range(0, span + 1 - W):
            for t in range(W):
                f = s + t
                chunk, mask = np.zeros((N, 6)), np.zeros(N)
                for k in range(N):
                    if f + k < span:  # frames >= end are never supervised
                        chunk[k] = np.clip(acts[f + k, :6], -CLIP, CLIP) / CLIP
                        mask[k] = 1
                labels.append(chunk), masks.append(mask), tasks.append(task), progress.append(f / span)
    return np.array(labels), np.array(masks), np.array(tasks), np.array(progress)


def huber(residual, mask):
    r = np.abs(residual)
    q = np.minimum(r, 1)
    return float(((0.5 * q**2 + r - q) * mask[..., None]).sum() / max(mask.sum() * 6, 1))


def main():
    data = sys.argv[1]
    first = int(sys.argv[2]) if len(sys.argv) > 2 else None
    W = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    yt, mt, tt, pt = windows(f"{data}/training", W)
    yv, mv, tv, pv = windows(f"{data}/validation", W)
    if first is not None:
        n = first * W  # window-major: W positions per window
        yv, mv, tv, pv = yv[:n], mv[:n], tv[:n], pv[:n]
    mean = (yt * mt[..., None]).sum((0, 1)) / mt.sum()
    task_mean = np.zeros_like(yv)
    phase_mean = np.zeros_like(yv)
    bins = np.minimum((pt * 20).astype(int), 19)
    for task in set(tv):
        here = tv == task
        same = tt == task
        if not same.any():
            task_mean[here], phase_mean[here] = mean, mean
            continue
        task_mean[here] = yt[same].mean(0)
        for b in range(20):  # progress in 5 % bins
            near = same & (bins == b)
            at = here & (np.minimum((pv * 20).astype(int), 19) == b)
            phase_mean[at] = yt[near].mean(0) if near.any() else yt[same].mean(0)
    print(f"validation positions: {len(yv)} ({len(yv) // W} windows), tasks: {len(set(tv))}")
    print(f"predict 0                          {huber(yv, mv):.4f}")
    print(f"training mean                      {huber(yv - mean, mv):.4f}")
    print(f"per-task mean (language only)      {huber(yv - task_mean, mv):.4f}")
    print(f"per-task, per-progress mean        {huber(yv - phase_mean, mv):.4f}   (knows the phase; blind)")


if __name__ == "__main__":
    main()
