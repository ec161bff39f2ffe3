"""The paper's cascade baseline: local ASR, then a local text LLM compares transcript and sentence.

ASR is a Whisper checkpoint (sequence to sequence) or any CTC checkpoint such as
wav2vec2; the LLM is any local instruction-tuned causal LM. The LLM gets the
sentence, the transcript and one worked example (the paper's one-shot approach),
and answers in the paper's format, which the engine's parser reads. Everything is
loaded from local folders only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.audio import SAMPLE_RATE_HZ, AudioClip
from engine.errors import ModelError
from engine.feedback import FeedbackItem
from engine.prompts import answer_text
from training.evaluate import Prediction, prediction_from_text

#: Longest transcript decoded (a read sentence is far shorter; Whisper allows 448 tokens).
WHISPER_MAX_NEW_TOKENS = 128
CASCADE_SYSTEM = "You are an expert English pronunciation teacher."
_TASK = (
    'An English learner read this sentence aloud: "{sentence}"\n'
    'A speech recognizer transcribed the recording as: "{transcript}"\n'
    "Words the recognizer heard differently from the sentence may have been mispronounced. "
    "For each mispronounced word write one line:\n"
    "word: <the word> issue: <what was wrong, naming the phonemes in ARPAbet> suggestion: <how to say it correctly>\n"
    "If every word was pronounced well, answer exactly: No Problem"
)
_EXAMPLE_SENTENCE = "I think this is the right path"
_EXAMPLE_TRANSCRIPT = "I sink this is the light path"
_EXAMPLE_ANSWER = answer_text([
    FeedbackItem("think", '"TH" was replaced with "S", indicating a substitution error',
                 'Put the tip of your tongue between your teeth for /TH/, as in "thin" (/TH IH N/)'),
    FeedbackItem("right", '"R" was replaced with "L", indicating a substitution error',
                 'Curl the tongue tip back without touching the roof of the mouth for /R/, as in "red" (/R EH D/)'),
])
#: Used when the LLM's tokenizer has no chat template (ChatML).
FALLBACK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def cascade_messages(sentence: str, transcript: str) -> list[dict[str, str]]:
    """The one-shot chat: the task, a worked example, then this take."""
    task = _TASK.format(sentence=" ".join(sentence.split()), transcript=" ".join(transcript.split()))
    example = (f'Example.\nSentence: "{_EXAMPLE_SENTENCE}"\nTranscript: "{_EXAMPLE_TRANSCRIPT}"\n'
               f"Answer:\n{_EXAMPLE_ANSWER}\n\nNow answer for the learner's recording, in the same format, "
               "with no other text.")
    return [{"role": "system", "content": CASCADE_SYSTEM}, {"role": "user", "content": f"{task}\n\n{example}"}]


def _check_folder(folder: str | Path, what: str) -> Path:
    path = Path(folder) if folder else None
    if path is None or not (path / "config.json").is_file():
        raise ModelError(f"The cascade needs a local {what} folder with config.json (got {folder or 'nothing'}).")
    return path


def _torch_device(device: str) -> str:
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' was asked for, but PyTorch finds no CUDA GPU; use 'auto' or 'cpu'.")
    return "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"


class SpeechRecognizer:
    """A local ASR checkpoint: Whisper (generate) or CTC (argmax, collapsed)."""

    def __init__(self, model: Any, feature_extractor: Any, tokenizer: Any, kind: str) -> None:
        self.model, self.feature_extractor, self.tokenizer, self.kind = model, feature_extractor, tokenizer, kind

    @classmethod
    def from_folder(cls, folder: str | Path, device: str = "cpu") -> SpeechRecognizer:
        from transformers import (
            AutoFeatureExtractor,
            AutoModelForCTC,
            AutoTokenizer,
            WhisperForConditionalGeneration,
        )

        path = _check_folder(folder, "ASR (Whisper or wav2vec2-CTC)")
        model_type = json.loads((path / "config.json").read_text(encoding="utf-8")).get("model_type", "")
        kind = "whisper" if model_type == "whisper" else "ctc"
        loader = WhisperForConditionalGeneration if kind == "whisper" else AutoModelForCTC
        try:
            model = loader.from_pretrained(str(path), local_files_only=True, use_safetensors=True)
            extractor = AutoFeatureExtractor.from_pretrained(str(path), local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as err:
            raise ModelError(f"Cannot load the ASR checkpoint in {path}: {err}") from err
        return cls(model.to(_torch_device(device)).eval(), extractor, tokenizer, kind)

    def transcribe(self, samples: np.ndarray) -> str:
        """The words heard in 16 kHz mono samples."""
        import torch

        inputs = self.feature_extractor(np.asarray(samples, dtype=np.float32), sampling_rate=SAMPLE_RATE_HZ,
                                        return_tensors="pt")
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            if self.kind == "whisper":
                limit = min(WHISPER_MAX_NEW_TOKENS, self.model.config.max_target_positions // 2)
                ids = self.model.generate(inputs["input_features"].to(device), max_new_tokens=limit)[0]
                return self.tokenizer.decode(ids, skip_special_tokens=True).strip()
            logits = self.model(inputs["input_values"].to(device)).logits[0]
        return self.tokenizer.decode(logits.argmax(dim=-1)).strip()  # CTC tokenizers collapse repeats and blanks


class FeedbackLlm:
    """A local text LLM answering the cascade prompt greedily."""

    def __init__(self, model: Any, tokenizer: Any, max_new_tokens: int = 512) -> None:
        self.model, self.tokenizer, self.max_new_tokens = model, tokenizer, max_new_tokens

    @classmethod
    def from_folder(cls, folder: str | Path, device: str = "cpu", max_new_tokens: int = 512) -> FeedbackLlm:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

        path = _check_folder(folder, "text LLM")
        target = _torch_device(device)
        kwargs: dict[str, Any] = {"dtype": torch.float32}
        if target == "cuda":  # 4-bit like the ALMs: an 8B LLM then fits a consumer GPU
            kwargs = {"dtype": torch.bfloat16, "device_map": {"": 0}, "quantization_config": BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)}
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, use_safetensors=True, **kwargs)
        except (OSError, ValueError) as err:
            raise ModelError(f"Cannot load the LLM in {path}: {err}") from err
        return cls(model.eval(), tokenizer, max_new_tokens)

    def render(self, sentence: str, transcript: str) -> str:
        template = self.tokenizer.chat_template or FALLBACK_TEMPLATE
        return self.tokenizer.apply_chat_template(cascade_messages(sentence, transcript), tokenize=False,
                                                  add_generation_prompt=True, chat_template=template)

    def answer(self, sentence: str, transcript: str) -> str:
        import torch

        inputs = self.tokenizer(self.render(sentence, transcript), return_tensors="pt", add_special_tokens=False)
        inputs = {k: v.to(next(self.model.parameters()).device) for k, v in inputs.items()}
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False, pad_token_id=pad)
        return self.tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()


@dataclass
class CascadeBackend:
    """ASR then LLM, as an evaluation backend."""

    asr: Any
    llm: Any
    name: str = "cascade"

    @classmethod
    def from_folders(cls, asr_dir: str, llm_dir: str, *, max_new_tokens: int = 512, device: str = "auto") -> CascadeBackend:
        asr = SpeechRecognizer.from_folder(asr_dir, device)
        llm = FeedbackLlm.from_folder(llm_dir, device, max_new_tokens)
        return cls(asr, llm, f"cascade:{Path(asr_dir).name}+{Path(llm_dir).name}")

    def predict(self, clip: AudioClip, text: str) -> Prediction:
        transcript = self.asr.transcribe(clip.samples)
        prediction = prediction_from_text(self.llm.answer(text, transcript))
        return Prediction(prediction.feedback, prediction.raw_text, (f"ASR heard: {transcript!r}",) + prediction.notes)
