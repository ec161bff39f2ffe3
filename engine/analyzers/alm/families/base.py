"""What every model family provides: prompt encoding (with training labels), batching,
greedy generation with limits, streaming and cancel.

Imports torch and transformers: only the loader and training import this module.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList, TextStreamer

from engine.prompts import Prompt

#: Label value ignored by the loss (prompt and audio positions).
IGNORE_INDEX = -100

#: End-of-turn tokens of common chat formats (ChatML, Llama 3, Phi, Gemma), used as extra
#: stop tokens when the tokenizer has them.
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")

Batch = dict[str, torch.Tensor]


class StopReason(str, Enum):
    """Why a generation ended."""

    END = "end"  # the model finished its answer
    MAX_TOKENS = "max_tokens"
    TIME = "time"
    CANCELLED = "cancelled"
    OFF_FORMAT = "off_format"  # the caller's give_up check: the answer is not going anywhere


@dataclass(frozen=True)
class Generation:
    """A model's answer: decoded text, length, why it stopped, and how long it took."""

    text: str
    new_tokens: int
    stop_reason: StopReason
    seconds: float


class LimitCriteria(StoppingCriteria):
    """Stops on the caller's cancel check, a wall-clock deadline, or a ``give_up`` verdict on
    the text so far (checked every ``check_every`` tokens once ``give_up_after`` are out),
    remembering which."""

    def __init__(self, time_limit_s: float, should_cancel: Callable[[], bool] | None, *,
                 give_up: Callable[[str], bool] | None = None, decode: Callable[[list[int]], str] | None = None,
                 prompt_len: int = 0, give_up_after: int = 64, check_every: int = 16) -> None:
        self.deadline = time.monotonic() + time_limit_s
        self.should_cancel = should_cancel
        self.give_up, self.decode, self.prompt_len = give_up, decode, prompt_len
        self.give_up_after, self.check_every = give_up_after, check_every
        self.reason: StopReason | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        if self.should_cancel is not None and self.should_cancel():
            self.reason = StopReason.CANCELLED
        elif time.monotonic() > self.deadline:
            self.reason = StopReason.TIME
        elif self._gives_up(input_ids):
            self.reason = StopReason.OFF_FORMAT
        stop = self.reason is not None
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

    def _gives_up(self, input_ids: torch.LongTensor) -> bool:
        new = input_ids.shape[1] - self.prompt_len
        if self.give_up is None or self.decode is None or new < self.give_up_after or new % self.check_every:
            return False
        return self.give_up(self.decode(input_ids[0, self.prompt_len:].tolist()))


class CallbackStreamer(TextStreamer):
    """Hands each finalised piece of generated text to a callback (in the generating thread).

    ``TextStreamer`` already holds text back until a word or line is complete, so the
    callback never sees half a multi-byte character.
    """

    def __init__(self, tokenizer: Any, on_text: Callable[[str], None]) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.on_text = on_text

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.on_text(text)


class AlmRuntime(ABC):
    """A loaded model of one family, ready to encode prompts and generate.

    ``model`` is the torch module (wrapped by PEFT once an adapter or LoRA is attached),
    ``tokenizer`` the LM's tokenizer. Single-threaded: one worker owns a runtime.
    """

    family: str = ""

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer

    # -- encoding ---------------------------------------------------------------
    @abstractmethod
    def encode(self, prompt: Prompt, audio: np.ndarray, answer: str | None = None) -> Batch:
        """Tensors for one example (batch of 1) on the model's device.

        With ``answer``, the answer and its end-of-turn tokens are appended and ``labels``
        holds them, every prompt and audio position being ``IGNORE_INDEX``.
        ``audio`` is mono float32 at 16 kHz.
        """

    def collate(self, examples: Sequence[Batch]) -> Batch:
        """Right-pad single examples from ``encode`` into one training batch."""
        pads = {"input_ids": self.pad_token_id, "attention_mask": 0, "labels": IGNORE_INDEX,
                "audio_mask": False}
        batch: Batch = {}
        for key in examples[0]:
            rows = [e[key] for e in examples]
            if key in pads:
                longest = max(r.shape[1] for r in rows)
                rows = [torch.nn.functional.pad(r, (0, longest - r.shape[1]), value=pads[key]) for r in rows]
            batch[key] = torch.cat(rows, dim=0)
        return batch

    def count_tokens(self, prompt: Prompt, audio: np.ndarray) -> int:
        """Length of the encoded prompt, audio positions included."""
        return int(self.encode(prompt, audio)["input_ids"].shape[1])

    # -- generation ---------------------------------------------------------------
    def generate(
        self,
        prompt: Prompt,
        audio: np.ndarray,
        *,
        max_new_tokens: int,
        time_limit_s: float,
        on_token: Callable[[str], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        give_up: Callable[[str], bool] | None = None,
    ) -> Generation:
        """Greedy answer to ``prompt``; stops at end of turn, the token or time limit, cancel,
        or when ``give_up(text so far)`` says the answer is off track (checked from 64 tokens on)."""
        started = time.monotonic()
        inputs = self.encode(prompt, audio)
        limit = LimitCriteria(time_limit_s, should_cancel, give_up=give_up, prompt_len=self._prompt_len(inputs),
                              decode=lambda ids: self.tokenizer.decode(ids, skip_special_tokens=True))
        streamer = CallbackStreamer(self.tokenizer, on_token) if on_token else None
        with torch.inference_mode():
            new_ids = self._generate_new_ids(
                inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=self.stop_token_ids,
                pad_token_id=self.pad_token_id,
                stopping_criteria=StoppingCriteriaList([limit]),
                streamer=streamer,
            )
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True).strip()
        reason = limit.reason or self._natural_stop(new_ids, max_new_tokens)
        return Generation(text, len(new_ids), reason, time.monotonic() - started)

    def _prompt_len(self, inputs: Batch) -> int:
        """How many leading ids of the sequences ``generate`` hands to stopping criteria are prompt."""
        return int(inputs["input_ids"].shape[1])

    @abstractmethod
    def _generate_new_ids(self, inputs: Batch, **generate_kwargs: Any) -> list[int]:
        """Run ``generate`` and return only the new token ids of the single sequence."""

    def _natural_stop(self, new_ids: list[int], max_new_tokens: int) -> StopReason:
        if new_ids and new_ids[-1] in self.stop_token_ids:
            return StopReason.END
        return StopReason.MAX_TOKENS if len(new_ids) >= max_new_tokens else StopReason.END

    # -- adapters -----------------------------------------------------------------
    @abstractmethod
    def attach_adapter(self, adapter_dir: Path) -> None:
        """Load a verified adapter folder (PEFT safetensors, plus family extras) for inference."""

    @abstractmethod
    def add_lora(self, lora_config: Any) -> None:
        """Wrap the language model with fresh trainable LoRA layers (training)."""

    @abstractmethod
    def save_adapter(self, adapter_dir: Path) -> list[str]:
        """Write the trained adapter (safetensors only); return the file names written."""

    # -- tokens ---------------------------------------------------------------------
    @property
    def max_audio_s(self) -> float:
        """Seconds of audio the model hears; the rest of a longer take is cut."""
        return 30.0

    @property
    def pad_token_id(self) -> int:
        tok = self.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        return int(pad if pad is not None else 0)

    @property
    def stop_token_ids(self) -> list[int]:
        """The tokenizer's EOS plus any end-of-turn token it knows."""
        ids = [] if self.tokenizer.eos_token_id is None else [int(self.tokenizer.eos_token_id)]
        vocab = self.tokenizer.get_vocab()
        ids += [int(vocab[t]) for t in END_OF_TURN_TOKENS if t in vocab]
        return list(dict.fromkeys(ids))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def to_device(batch: Batch, device: torch.device) -> Batch:
    return {k: v.to(device) for k, v in batch.items()}
