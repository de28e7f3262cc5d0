"""Grammar-constrained CTC decoding over a recogniser's per-step probabilities.

The greedy CTC string of a generic text model reads everything in the box: the plate frame as a leading
`I`/`1`, bolts, the "CHILE" legend. Here the plate formats drive the search instead: for each format (a
sequence of per-slot allowed character sets) an exact Viterbi over the CTC trellis finds the best
alignment of a string that fits the slots. Frames before the first and after the last character may be
skipped (lightly penalised), so edge junk falls out of the path; an `O` in a digit slot becomes the best
digit at those frames (usually `0`), and text that fits no format finds no path above the floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""The plate characters; index k in the reduced matrices is ALPHABET[k]."""

_NEG = -1e9
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class SlotFormat:
    """A plate format as the decoder sees it: name, allowed characters per slot, log prior."""

    name: str
    slots: tuple[frozenset[str], ...]
    log_prior: float = 0.0


@dataclass(frozen=True, slots=True)
class Decoded:
    """One valid string: total log score (path + prior), per-character probabilities, its format."""

    text: str
    score: float
    char_confidences: tuple[float, ...]
    format: str


@dataclass(frozen=True, slots=True)
class CharMap:
    """Which model classes feed each plate character (upper and lower case, full-width forms)."""

    blank: int
    sources: tuple[tuple[int, ...], ...]
    """sources[k]: model class indices that mean ALPHABET[k]."""
    characters: tuple[str, ...]
    """The model's class labels, index 0 = blank."""

    @classmethod
    def from_characters(cls, characters: Sequence[str], blank: int = 0) -> CharMap:
        index: dict[str, list[int]] = {c: [] for c in ALPHABET}
        for i, label in enumerate(characters):
            if i == blank or len(label) != 1:
                continue
            ch = label.upper()
            if "\uff01" <= ch <= "\uff5e":  # full-width ASCII block
                ch = chr(ord(ch) - 0xFEE0).upper()
            if ch in index:
                index[ch].append(i)
        missing = [c for c, idx in index.items() if not idx]
        if missing:
            raise ValueError(f"model dictionary lacks plate characters: {''.join(missing)}")
        return cls(blank, tuple(tuple(index[c]) for c in ALPHABET), tuple(characters))


def reduce_probs(probs: FloatArray, charmap: CharMap) -> tuple[FloatArray, FloatArray]:
    """T×C softmax → (T×36 plate-character probabilities, T probability of 'no plate character')."""
    chars = np.stack([probs[:, idx].sum(axis=1) for idx in charmap.sources], axis=1).astype(np.float32)
    none = np.clip(1.0 - chars.sum(axis=1), 1e-12, 1.0).astype(np.float32)
    return chars, none


def join_rows(rows: Sequence[npt.ArrayLike], blank: int) -> FloatArray:
    """T×C probabilities of a plate's text rows (top first) as one sequence, with one blank frame between
    rows so that a character ending one row and starting the next is not merged by the CTC collapse."""
    out: list[FloatArray] = []
    for row in rows:
        y = np.asarray(row, dtype=np.float32)
        if out:
            sep = np.zeros((1, y.shape[1]), np.float32)
            sep[0, blank] = 1.0
            out.append(sep)
        out.append(y)
    return np.concatenate(out, axis=0)


def greedy_text(probs: FloatArray, charmap: CharMap) -> str:
    """The unconstrained best-path string over the model's whole dictionary (for `raw_text`)."""
    best = probs.argmax(axis=1)
    out: list[str] = []
    prev = -1
    for i in best.tolist():
        if i != prev and i != charmap.blank and i < len(charmap.characters):
            out.append(charmap.characters[i])
        prev = i
    return "".join(out)


def _viterbi(
    emit: FloatArray, mid: FloatArray, edge: FloatArray, masks: npt.NDArray[np.bool_], lengths: Sequence[int]
) -> list[tuple[float, list[tuple[int, int, int]]]]:
    """Best path per format, all formats at once. emit: T×K log-probs; masks: S×K allowed chars of the
    formats' slots laid end to end (S = sum of `lengths`).

    Returns per format (log score, [(char index, first frame, last frame) per slot]), or (-inf, []).
    States per frame: `pre` (leading skip, shared), C[s, k] (slot s emitting char k), B[s] (skip after
    slot s), post[f] (trailing skip of format f). Back-pointers make the backtrack exact.
    """
    t_len, n_chars = emit.shape
    n_slots = masks.shape[0]
    starts = np.cumsum([0, *lengths[:-1]])
    lasts = starts + np.asarray(lengths) - 1
    inner = np.ones(n_slots, dtype=bool)
    inner[starts] = False  # slots entered from a previous slot of the same format
    inner_rows = np.flatnonzero(inner)
    allowed = np.where(masks, 0.0, _NEG).astype(np.float32)
    all_rows = np.arange(n_slots)
    # back-pointers: C: 0 stay, 1 from pre/B[s-1], 2 from C[s-1, c_prev]; B and post: -1 stay, else char
    c_code = np.zeros((t_len, n_slots, n_chars), dtype=np.int8)
    c_prev = np.zeros((t_len, n_slots, n_chars), dtype=np.int16)
    b_from = np.full((t_len, n_slots), -1, dtype=np.int16)
    post_from = np.full((t_len, len(lengths)), -1, dtype=np.int16)
    pre = 0.0
    dead = np.full(masks.shape, _NEG, dtype=np.float32)
    c = dead
    b = np.full(n_slots, _NEG, dtype=np.float32)
    post = np.full(len(lengths), _NEG, dtype=np.float32)
    # A frame where no character reaches char_floor (about half of them: CTC frames are mostly blank) kills
    # every C state, so only the skips move on: no path through a dead state can score above _NEG / 2, so
    # the results are the same and the back-pointers of dead states are never read.
    alive = np.asarray((emit > _NEG / 2).any(axis=1), dtype=bool)
    for t in range(t_len):
        arg = c.argmax(axis=1)
        best = c[all_rows, arg]
        new_c = dead
        if alive[t]:  # the C states, from this frame's old skip states
            masked = c.copy()
            masked[all_rows, arg] = _NEG
            arg2 = masked.argmax(axis=1)
            second = masked[all_rows, arg2]
            # entering slot s with char k straight from slot s-1: its best char unless that is k (CTC merges
            # repeats, so the same char twice needs a blank between)
            src = inner_rows - 1
            from_prev = np.repeat(best[src, None], n_chars, axis=1)
            prev_idx = np.repeat(arg[src, None], n_chars, axis=1)
            same = np.arange(len(src)), arg[src]
            from_prev[same] = second[src]
            prev_idx[same] = arg2[src]
            via_blank = b[src, None]
            enter = np.full_like(c, pre)
            enter[inner_rows] = np.maximum(from_prev, via_blank)
            code = np.ones(c.shape, dtype=np.int8)
            code[inner_rows] = np.where(from_prev > via_blank, 2, 1)
            stay = c >= enter
            c_code[t] = np.where(stay, 0, code)
            c_prev[t, inner_rows] = prev_idx
            new_c = np.maximum(c, enter) + emit[t] + allowed
        b_from[t] = np.where(best > b, arg, -1)
        b = np.maximum(b, best) + mid[t]
        post_from[t] = np.where(best[lasts] > post, arg[lasts], -1)
        post = np.maximum(post, best[lasts]) + edge[t]
        pre = pre + float(edge[t])
        c = new_c
    results: list[tuple[float, list[tuple[int, int, int]]]] = []
    for f, (first, last) in enumerate(zip(starts.tolist(), lasts.tolist(), strict=False)):
        end_k = int(c[last].argmax())
        score = max(float(c[last, end_k]), float(post[f]))
        if score <= _NEG / 2 or t_len < lengths[f]:
            results.append((float("-inf"), []))
            continue
        t = t_len - 1
        if post[f] > c[last, end_k]:
            while post_from[t, f] < 0:
                t -= 1
            end_k = int(post_from[t, f])
            t -= 1
        results.append((score, _backtrack(c_code, c_prev, b_from, first, last, end_k, t)))
    return results


def _backtrack(
    c_code: npt.NDArray[np.int8],
    c_prev: npt.NDArray[np.int16],
    b_from: npt.NDArray[np.int16],
    first: int,
    slot: int,
    k: int,
    t: int,
) -> list[tuple[int, int, int]]:
    end = t
    spans: list[tuple[int, int, int]] = []
    while True:
        code = int(c_code[t, slot, k])
        if code == 0:
            t -= 1
            continue
        spans.append((k, t, end))
        if slot == first:
            break
        if code == 2:
            k = int(c_prev[t, slot, k])
            t -= 1
        else:
            t -= 1
            while b_from[t, slot - 1] < 0:
                t -= 1
            k = int(b_from[t, slot - 1])
            t -= 1
        slot -= 1
        end = t
    spans.reverse()
    return spans


def constrained_decode(
    probs: FloatArray,
    charmap: CharMap,
    formats: Sequence[SlotFormat],
    *,
    k: int = 5,
    edge_floor: float = 0.1,
    char_floor: float = 1e-3,
) -> list[Decoded]:
    """The k best strings that fit one of `formats`, best first (empty: nothing fits).

    `edge_floor` caps the cost of skipping one leading/trailing frame (log(edge_floor)), so a confident
    junk character at the edge costs little more than a blank; `char_floor` is the least probability a
    frame may have for the character it is aligned to (below it the path is forbidden), which is what
    rejects text that fits no format instead of forcing it into one.
    """
    chars, none = reduce_probs(probs, charmap)
    blank = probs[:, charmap.blank]
    emit = np.where(chars >= char_floor, np.log(np.maximum(chars, 1e-12)), _NEG).astype(np.float32)
    mid = np.log(np.maximum(none, 1e-12)).astype(np.float32)
    edge = np.log(np.maximum(np.maximum(none, blank), edge_floor)).astype(np.float32)
    found: dict[str, Decoded] = {}
    if not formats:
        return []
    masks = np.array([[c in slot for c in ALPHABET] for fmt in formats for slot in fmt.slots], dtype=bool)
    lengths = [len(fmt.slots) for fmt in formats]
    starts = np.cumsum([0, *lengths[:-1]]).tolist()
    for fmt, first, (score, spans) in zip(formats, starts, _viterbi(emit, mid, edge, masks, lengths), strict=False):
        if not spans:
            continue
        fmt_masks = masks[first : first + len(fmt.slots)]
        for cand in _with_substitutions(fmt, score, spans, chars, emit, fmt_masks):
            if cand.text not in found or found[cand.text].score < cand.score:
                found[cand.text] = cand
    ranked = sorted(found.values(), key=lambda d: d.score, reverse=True)
    return ranked[:k]


def _with_substitutions(
    fmt: SlotFormat,
    score: float,
    spans: list[tuple[int, int, int]],
    chars: FloatArray,
    emit: FloatArray,
    masks: npt.NDArray[np.bool_],
) -> list[Decoded]:
    """The best path, plus its one-character variants (the runner-up allowed char of each slot)."""
    idx = [s[0] for s in spans]
    conf = [float(chars[a : b + 1, kk].max()) for kk, a, b in spans]
    text = "".join(ALPHABET[i] for i in idx)
    out = [Decoded(text, score + fmt.log_prior, tuple(conf), fmt.name)]
    for slot, (kk, a, b) in enumerate(spans):
        seg = emit[a : b + 1].sum(axis=0) + np.where(masks[slot], 0.0, _NEG)
        seg[kk] = _NEG
        alt = int(seg.argmax())
        if seg[alt] <= _NEG / 2:
            continue
        delta = float(seg[alt] - emit[a : b + 1, kk].sum())
        alt_conf = list(conf)
        alt_conf[slot] = float(chars[a : b + 1, alt].max())
        alt_text = text[:slot] + ALPHABET[alt] + text[slot + 1 :]
        out.append(Decoded(alt_text, score + delta + fmt.log_prior, tuple(alt_conf), fmt.name))
    return out
