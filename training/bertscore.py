"""BERTScore F1 from a local scoring model folder (transformers, local files only).

Follows the bert-score package's defaults that the paper used
(``bert_score.score(cands, refs, lang="en")``): roberta-large, hidden layer 17,
no idf weighting (every token weighs 1, the start and end tokens 0), no
baseline rescaling; greedy cosine matching of contextual token embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError

#: bert-score's default layer for roberta-large (its ``model2layers`` table).
ROBERTA_LARGE_LAYER = 17


@dataclass(frozen=True)
class BertScores:
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]

    @property
    def mean_f1(self) -> float:
        return sum(self.f1) / len(self.f1) if self.f1 else 0.0


def default_layer(config) -> int:
    """bert-score's layer for roberta-large; the last layer of any other model."""
    if getattr(config, "model_type", "") == "roberta" and config.num_hidden_layers == 24:
        return ROBERTA_LARGE_LAYER
    return int(config.num_hidden_layers)


def bert_score(
    candidates: Sequence[str],
    references: Sequence[str],
    model_dir: str | Path,
    *,
    layer: int | None = None,
    batch_size: int = 16,
) -> BertScores:
    """Score each candidate against its reference with the model in ``model_dir``.

    Raises:
        ModelError: the folder is missing or holds no loadable model/tokenizer.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    if len(candidates) != len(references):
        raise ValueError("bert_score needs as many references as candidates")
    folder = Path(model_dir)
    if not (folder / "config.json").is_file():
        raise ModelError(f"BERTScore model folder {folder} has no config.json: give a local model folder (e.g. roberta-large).")
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    except (OSError, ValueError) as err:
        raise ModelError(f"Cannot load the BERTScore model in {folder}: {err}") from err
    layer = default_layer(model.config) if layer is None else layer
    p_all, r_all, f_all = [], [], []
    with torch.inference_mode():
        for start in range(0, len(candidates), batch_size):
            cand = _embed(model, tokenizer, candidates[start:start + batch_size], layer)
            ref = _embed(model, tokenizer, references[start:start + batch_size], layer)
            for (c_emb, c_w), (r_emb, r_w) in zip(cand, ref):
                sim = c_emb @ r_emb.T  # (cand tokens, ref tokens), cosine: rows are unit vectors
                p = float((sim.max(dim=1).values * c_w).sum() / c_w.sum().clamp(min=1e-9))
                r = float((sim.max(dim=0).values * r_w).sum() / r_w.sum().clamp(min=1e-9))
                p_all.append(p)
                r_all.append(r)
                f_all.append(2 * p * r / (p + r) if p + r > 0 else 0.0)
    return BertScores(tuple(p_all), tuple(r_all), tuple(f_all))


def _embed(model, tokenizer, texts: Sequence[str], layer: int):
    """Per text: unit-norm token embeddings at ``layer`` and token weights (0 for special tokens)."""
    import torch

    # RoBERTa-style models use positions from padding_idx + 1: 2 fewer than the table holds.
    limit = min(int(tokenizer.model_max_length), int(model.config.max_position_embeddings) - 2)
    batch = tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True, max_length=limit,
                      return_special_tokens_mask=True)
    special = batch.pop("special_tokens_mask")
    hidden = model(**batch, output_hidden_states=True).hidden_states[layer]
    hidden = torch.nn.functional.normalize(hidden.float(), dim=-1)
    result = []
    for row, mask, spec in zip(hidden, batch["attention_mask"], special):
        keep = mask.bool()
        result.append((row[keep], (1 - spec[keep]).float()))
    return result
