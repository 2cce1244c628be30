"""llama.cpp's ``POST /infill``, as llama.vim and llama.vscode use it: the request, the prompt
it makes, the limits that end generation and the reply.

A request carries the text before the cursor (``input_prefix``, plus ``prompt``: the current
line up to the cursor in llama.vim's usage), the text after it (``input_suffix``) and chunks
of other files (``input_extra``: ``[{"filename", "text"}]``). The chunks go ahead of the prefix:
after the model's repo-name token and each behind its file-separator token where the model has
them (the repo-level FIM layout llama.cpp uses), else behind a plain-text header. The engine
then puts the whole before-the-cursor text in its FIM prompt; when that is too long for the
context it is cut at the left, so the extra chunks go first, as in llama.cpp.

Sampling fields (``top_k``, ``top_p``, ``samplers``, ``temperature``...) are checked for their
type and otherwise ignored: decoding is greedy. Fields nobody here knows are ignored.
The generation limits follow llama.cpp's server (``process_token``): ``n_predict`` caps the
tokens; ``t_max_predict_ms`` ends generation on the first token with a newline produced after
that many ms of generation; ``n_indent`` ends it at the first line (after the first) indented
less, keeping that line's indentation only; ``stop`` strings cut the text where they start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..engine.config import MAX_TOKENS_LIMIT
from ..models.metadata import FILE_SEP_NAMES, REPO_NAME_NAMES
from ..server.protocol import text_problem

# n_predict when the request has none, or asks for "no limit" (-1, llama.cpp's default): a
# screenful of code; the engine's time budget ends longer generations anyway.
DEFAULT_N_PREDICT = 128
# The largest n_predict honoured (a larger one is cut to it), and the share of the model's
# context the generated tokens may take at most, so the prompt keeps the rest.
MAX_N_PREDICT = MAX_TOKENS_LIMIT
MAX_PREDICT_CONTEXT_SHARE = 0.5
# input_extra chunks kept (the last ones: llama.vim's ring buffer puts the newest last).
MAX_EXTRA_CHUNKS = 64
# Stop strings honoured (the first ones).
MAX_STOP_STRINGS = 8
# The repository name written after the model's repo-name token (llama.cpp writes the same),
# and the name of the file being edited, after the last file separator.
REPO_NAME = "myproject"
CURRENT_FILE = "filename"
# Token names of the repo-level FIM layout: llama.cpp's lists (models/metadata.py).
REPO_TOKEN_NAMES = REPO_NAME_NAMES
FILE_SEP_TOKEN_NAMES = FILE_SEP_NAMES
# The suffix a prompt-only request (n_predict 0) is prefilled with on a FIM model when it has
# none (the plugins send ""): the engine only lays a prompt out as FIM with a suffix, and the
# requests after it have one. Only the shared start (the FIM prefix token, the extra chunks)
# is reused from it, so any non-blank text does.
WARM_SUFFIX = "\n#"
# The header of a chunk for a model without a file separator token.
PLAIN_CHUNK_HEADER = "# file: {filename}\n"

# Fields that must have a given JSON type when present (else a 400), beyond those parse_infill
# reads itself. llama.vim and llama.vscode send all of these.
_NUMBER_FIELDS = ("top_k", "top_p", "min_p", "temperature", "t_max_prompt_ms", "id_slot")
_BOOL_FIELDS = ("cache_prompt", "return_tokens", "timings_per_token")
_STRING_LIST_FIELDS = ("samplers", "response_fields")


@dataclass(frozen=True)
class InfillRequest:
    """The fields of an infill request that change what is generated or replied."""

    prefix: str  # input_prefix + prompt: everything before the cursor in the file
    suffix: str
    extra: tuple[tuple[str, str], ...]  # (filename, text) of other files' chunks
    n_predict: int  # 0: only process the prompt (cache it for the next request)
    n_indent: int
    t_max_predict_ms: float
    stop: tuple[str, ...]
    stream: bool
    n_cmpl: int
    response_fields: tuple[str, ...]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_infill(msg: Any) -> InfillRequest:
    """Validate a decoded request body; ValueError says which field is wrong and how."""
    if not isinstance(msg, dict):
        raise ValueError("the request must be a JSON object")
    texts: dict[str, str] = {}
    for name in ("input_prefix", "input_suffix", "prompt"):
        v = msg.get(name)
        if v is None:
            v = ""
        if not isinstance(v, str):
            raise ValueError(f"'{name}' must be a string")
        texts[name] = v
    extra = msg.get("input_extra")
    if extra is None:
        extra = []
    if not isinstance(extra, list):
        raise ValueError('\'input_extra\' must be an array of {"filename", "text"} objects')
    chunks: list[tuple[str, str]] = []
    for i, chunk in enumerate(extra[-MAX_EXTRA_CHUNKS:]):
        if not isinstance(chunk, dict) or not isinstance(chunk.get("text"), str):
            raise ValueError(f'input_extra[{i}] must contain a "text" field with a string value')
        filename = chunk.get("filename")
        if filename is None:
            filename = "tmp"  # llama.cpp's name for a chunk without one
        if not isinstance(filename, str):
            raise ValueError(f"input_extra[{i}].filename must be a string")
        chunks.append((filename, chunk["text"]))
    n_predict = _int_field(msg, "n_predict", DEFAULT_N_PREDICT, minimum=-1)
    if n_predict == -1:
        n_predict = DEFAULT_N_PREDICT
    n_cmpl = _int_field(msg, "n_cmpl", 1, minimum=1)
    n_indent = _int_field(msg, "n_indent", 0, minimum=0)
    t_max = msg.get("t_max_predict_ms")
    if t_max is None:
        t_max = 0
    if not _is_number(t_max):
        raise ValueError("'t_max_predict_ms' must be a number")
    stop = msg.get("stop")
    if stop is None:
        stop = []
    if isinstance(stop, str):
        stop = [stop]
    if not (isinstance(stop, list) and all(isinstance(s, str) for s in stop)):
        raise ValueError("'stop' must be an array of strings")
    stream = msg.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise ValueError("'stream' must be true or false")
    for name in _NUMBER_FIELDS:
        if msg.get(name) is not None and not _is_number(msg[name]):
            raise ValueError(f"'{name}' must be a number")
    for name in _BOOL_FIELDS:
        if msg.get(name) is not None and not isinstance(msg[name], bool):
            raise ValueError(f"'{name}' must be true or false")
    for name in _STRING_LIST_FIELDS:
        v = msg.get(name)
        if v is not None and not (isinstance(v, list) and all(isinstance(s, str) for s in v)):
            raise ValueError(f"'{name}' must be an array of strings")
    checked = [*texts.items(), *(("stop", s) for s in stop)]
    checked += [("input_extra", t) for c in chunks for t in c]
    for name, text in checked:
        problem = text_problem(text)
        if problem is not None:
            raise ValueError(f"{name} {problem}: not valid Unicode text")
    return InfillRequest(
        prefix=texts["input_prefix"] + texts["prompt"],
        suffix=texts["input_suffix"],
        extra=tuple(chunks),
        n_predict=min(n_predict, MAX_N_PREDICT),
        n_indent=n_indent,
        t_max_predict_ms=float(t_max),
        stop=tuple(s for s in stop if s)[:MAX_STOP_STRINGS],
        stream=bool(stream),
        n_cmpl=n_cmpl,
        response_fields=tuple(msg.get("response_fields") or ()),
    )


def _int_field(msg: dict, name: str, default: int, minimum: int) -> int:
    v = msg.get(name)
    if v is None:
        return default
    if not _is_int(v) or v < minimum:
        raise ValueError(f"'{name}' must be an integer >= {minimum}")
    return v


def predict_limit(n_predict: int, max_context: int) -> int:
    """The tokens a request may generate on a model of ``max_context`` tokens."""
    return max(1, min(n_predict, int(max_context * MAX_PREDICT_CONTEXT_SHARE)))


def pack_extra(
    chunks: tuple[tuple[str, str], ...], repo_token: str | None, sep_token: str | None
) -> str:
    """The text that goes ahead of the prefix: the chunks in llama.cpp's repo-level layout
    where the model has a file-separator token (and a repo-name token; written as their names:
    the tokenizer parses special tokens in text), else each behind a plain-text header. Empty
    without chunks."""
    if not chunks:
        return ""
    if sep_token is None:
        return "".join(
            PLAIN_CHUNK_HEADER.format(filename=f) + t + ("" if t.endswith("\n") else "\n")
            for f, t in chunks
        ) + PLAIN_CHUNK_HEADER.format(filename=CURRENT_FILE)
    head = f"{repo_token}{REPO_NAME}\n" if repo_token else ""
    body = "".join(f"{sep_token}{f}\n{t}" for f, t in chunks)
    return f"{head}{body}{sep_token}{CURRENT_FILE}\n"


def layout_tokens(metadata: Any, tokenizer: Any) -> tuple[str | None, str | None]:
    """The names of the model's repo-name and file-separator tokens (None where it has none):
    the ids its metadata gives, else the first of llama.cpp's names its vocabulary holds."""
    if tokenizer is None:
        return None, None
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    found = []
    for attr, names in (("repo_name_id", REPO_TOKEN_NAMES), ("file_sep_id", FILE_SEP_TOKEN_NAMES)):
        i = getattr(metadata, attr, None)
        name = tokenizer.id_to_token(i) if i is not None else None
        found.append(name or next((n for n in names if n in vocab), None))
    return found[0], found[1]


class Limits:
    """llama.cpp's per-token checks for one generation: stop strings, ``n_indent``, and
    ``t_max_predict_ms``. ``check(text, now_ms)`` gets the text so far and the generation's
    age; returns the text to keep and the stop type ("word" or "limit"; None: go on)."""

    def __init__(self, req: InfillRequest) -> None:
        self.req = req
        self.stopping_word = ""
        self._seen = 0  # characters of text already checked for a newline
        self._checked_lines = 1  # lines (after the first) whose indentation passed

    def check(self, text: str, age_ms: float) -> tuple[str, str | None]:
        hits = [(text.find(s), s) for s in self.req.stop]
        hits = [h for h in hits if h[0] >= 0]
        if hits:
            pos, self.stopping_word = min(hits)
            return text[:pos], "word"
        if self.req.n_indent > 0:
            cut = self._indent_cut(text)
            if cut is not None:
                return cut, "limit"
        new, self._seen = text[self._seen :], len(text)
        if "\n" in new and 0 < self.req.t_max_predict_ms < age_ms:
            return text, "limit"
        return text, None

    def _indent_cut(self, text: str) -> str | None:
        """The text cut after the indentation of the first line indented under n_indent (a
        line is judged once it has a character past its indentation)."""
        lines = text.split("\n")
        start = sum(len(s) + 1 for s in lines[: self._checked_lines])
        for line in lines[self._checked_lines :]:
            body = line.lstrip(" \t")
            if not body:
                return None  # indentation still growing: judged on its next character
            indent = len(line) - len(body)
            if indent < self.req.n_indent:
                return text[: start + indent]
            self._checked_lines += 1
            start += len(line) + 1
        return None


def select_fields(paths: tuple[str, ...], reply: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp's ``response_fields``: only the values at these "a/b" paths, keyed by path
    (a path that is not there is left out)."""
    out: dict[str, Any] = {}
    for path in paths:
        node: Any = reply
        for key in path.split("/"):
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            out[path] = node
    return out


def timings(prompt_n: int, prompt_ms: float, predicted_n: int, predicted_ms: float) -> dict:
    """llama.cpp's timings object: counts, times and the rates derived from them."""

    def per_token(ms: float, n: int) -> float:
        return round(ms / n, 3) if n else 0.0

    def per_second(ms: float, n: int) -> float:
        return round(1000.0 * n / ms, 3) if n and ms > 0 else 0.0

    return {
        "prompt_n": prompt_n,
        "prompt_ms": round(prompt_ms, 3),
        "prompt_per_token_ms": per_token(prompt_ms, prompt_n),
        "prompt_per_second": per_second(prompt_ms, prompt_n),
        "predicted_n": predicted_n,
        "predicted_ms": round(predicted_ms, 3),
        "predicted_per_token_ms": per_token(predicted_ms, predicted_n),
        "predicted_per_second": per_second(predicted_ms, predicted_n),
    }


def dumps(data: Any) -> str:
    """Compact JSON, as llama.cpp writes it: llama.vim checks a reply with the pattern
    ``"content"\\s*:"`` before decoding it, so there must be no space after a colon."""
    return json.dumps(data, separators=(",", ":"))


def final_reply(
    req: InfillRequest,
    text: str,
    why: str | None,
    r: Any,
    *,
    stopping_word: str,
    truncated: bool,
    model: str,
    n_ctx: int,
    limit: int,
) -> dict[str, Any]:
    """The last (or only) reply of an infill: llama.cpp's fields, from the engine's result
    ``r`` (None if there is none) and ``why`` a Limits check stopped it. The engine's token
    count includes the healed prompt tail it re-spelled, so it is capped at ``limit``.
    ``truncated``: the prompt's start was left out to fit the context."""
    engine_stop = r.stop_reason if r is not None else "cancelled"
    prompt_tokens = r.prompt_tokens if r else 0
    total = r.total_ms if r else 0.0
    predicted_n = min(r.tokens, limit) if r and req.n_predict else 0
    # Prompt processing ends with the first token; a prompt-only request is all prompt.
    prompt_ms = r.ttft_ms if r and req.n_predict else total
    return {
        "index": 0,
        "content": "" if req.stream else text,  # streamed: the content went in the chunks
        "tokens": [],
        "id_slot": 0,
        "stop": True,
        "model": model,
        "tokens_predicted": predicted_n,
        "tokens_evaluated": prompt_tokens,
        "generation_settings": {
            "n_ctx": n_ctx,
            "n_predict": limit if req.n_predict else 0,
            "n_indent": req.n_indent,
            "t_max_predict_ms": req.t_max_predict_ms,
            "stop": list(req.stop),
            "temperature": 0.0,  # greedy, whatever the request asked
            "samplers": ["greedy"],
        },
        "has_new_line": "\n" in text,
        "truncated": truncated,
        "stop_type": why or ("eos" if engine_stop == "eos" else "limit"),
        "stopping_word": stopping_word,
        "tokens_cached": prompt_tokens + (r.tokens if r else 0),  # what the KV cache holds
        "timings": timings(
            prompt_tokens - (r.cached_tokens if r else 0),
            prompt_ms,
            predicted_n,
            max(0.0, total - prompt_ms),
        ),
    }
