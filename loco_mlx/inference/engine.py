"""The Engine: the one object every entry point (generate, chat, serve, eval, demo, export
checks) talks to, whichever backend runs the model.

It turns chat messages into a prompt with the model's chat template (and, by default, RE2
re-reading of the last question), switches the active adapter in the backend's pool,
routes a query when `--adapter auto` asks for it, and streams the reply. When the active adapter
declares a tool (its manifest's `tool: python`), the reply is a program that tools.py runs in the
sandbox, and the answer is what it prints. Self-consistency voting samples N replies as one batch
and returns the majority answer. Callers never reach
into the backend: what they need is a method here (docs/ARCHITECTURE.md). open.py builds an
Engine from settings.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import (
    Backend,
    BaseInfo,
    ContextOverflow,
    GenerationStats,
    Message,
    SamplingConfig,
    StreamEvent,
    eos_token_ids,
    last_user_message,
)
from loco_mlx.inference.code_examples import (
    ExampleCheck,
    check_reply,
    checkable_examples,
    run_examples,
    stated_examples,
)
from loco_mlx.inference.json_formats import ValueFormat
from loco_mlx.inference.json_guide import JsonGuide, make_guide
from loco_mlx.inference.json_request import (
    format_choices,
    guided_keys,
    number_format,
    stated_format,
    stated_kinds,
)
from loco_mlx.inference.json_stated import boolean_choices, present_kinds
from loco_mlx.inference.tools import ToolRun, ToolSettings, answer_with_tool, stream_with_tool
from loco_mlx.inference.unrun_requests import kept_notice, wants_code
from loco_mlx.inference.voting import VOTE_METHODS, Sample, VoteResult, by_examples, decide
from loco_mlx.ranges import at_least, check_settings, one_of

JSON_GUIDES = ("off", "keys", "copy")


class ActiveAdapter:
    """Engine.json_guide's default `adapter`: the reply is the active adapter's (None names the plain base)."""

    def __repr__(self) -> str:
        return "ACTIVE"


ACTIVE = ActiveAdapter()


@dataclass(frozen=True)
class InferenceConfig:
    """How a query is posed and answered (user config and CLI flags)."""

    reread: bool = True  # RE2: repeat the question once ("Read the question again: ...")
    votes: int = at_least(1, 1)  # self-consistency: sample this many replies and take the majority answer
    vote_temperature: float = at_least(0.7, 0)
    vote_method: str = one_of("auto", VOTE_METHODS, "vote method")  # auto | numeric | exact | json | best | examples
    # a request that names its JSON keys gets exactly them (json_guide.py); "copy" also copies string values
    json_guide: str = one_of("keys", JSON_GUIDES, "JSON guide")  # off | keys | copy
    # a reply for code is run on the examples its request states (votes choose by them; one reply gets a
    # notice): the server turns it off, since it runs model code only for adapters that declare a tool
    check_examples: bool = True

    def __post_init__(self):
        check_settings(self)  # built in code; load_config checks first and names the file or flag


RE2_TEMPLATE = "{question}\nRead the question again: {question}"


def reread(messages: list[Message]) -> list[Message]:
    """RE2: the last user message, stated twice. Earlier turns stay as they were."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "user":
            question = messages[i]["content"]
            updated = {**messages[i], "content": RE2_TEMPLATE.format(question=question)}
            return messages[:i] + [updated] + messages[i + 1 :]
    return messages


def build_messages(prompt: str, system: str | None = None, history: list[Message] | None = None) -> list[Message]:
    messages = [{"role": "system", "content": system}] if system else []
    return messages + list(history or []) + [{"role": "user", "content": prompt}]


@dataclass
class Answer:
    """One whole reply: the answer's text, and what its program did when a tool adapter answered."""

    text: str
    stats: GenerationStats | None = None
    tool: ToolRun | None = None
    notices: list[str] = field(default_factory=list)
    check: ExampleCheck | None = None  # a request for code: the reply's function on the request's examples


class Engine:
    """Chat-level generation over one backend, with its adapter pool, routing, tools and voting."""

    def __init__(self, backend: Backend, adapter_paths: dict | None = None, tools: ToolSettings | None = None):
        self.backend = backend
        self.adapter_paths: dict[str, Path] = dict(adapter_paths or {})  # name -> directory, loaded on first use
        self.router = None  # a router.hybrid.Router: --adapter auto
        self.routing = True  # chat's /adapter NAME pauses routing, /adapter auto resumes it
        self.tools = tools or ToolSettings()  # --no-tools, --allow-unsandboxed-tools
        self._manifests: dict[Path, object] = {}  # adapter directory -> its AdapterManifest (None: it has none)

    # --- the base ------------------------------------------------------------------------------

    @property
    def base(self) -> BaseInfo:
        return self.backend.info

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def tokenizer(self):
        return self.backend.tokenizer

    @property
    def context_length(self) -> int:
        return self.backend.info.context_length

    def eos_token_ids(self) -> list[int]:
        return eos_token_ids(self.backend.tokenizer)

    def close(self) -> None:
        self.backend.close()

    # --- adapters ------------------------------------------------------------------------------

    @property
    def adapter(self) -> str | None:
        return self.backend.adapters.current

    def use_adapter(self, name: str | None) -> float:
        """Switch to adapter `name` (None or "none": the plain base); returns seconds taken.

        On any error the current adapter stays active."""
        pool = self.backend.adapters
        if name in (None, "none", "base"):
            return pool.activate(None)
        loaded, wanted = pool.adapters.get(name), self.adapter_paths.get(name)
        if loaded is not None and wanted is not None and Path(loaded.path).resolve() != Path(wanted).resolve():
            pool.reload(name, wanted)  # replaced (a new version in another directory): serve it from there
        if name not in pool.adapters:
            if name not in self.adapter_paths:
                known = ", ".join(sorted(self.adapter_paths)) or "none registered"
                raise LocoError(f"unknown adapter '{name}' (available: {known})")
            pool.load(name, self.adapter_paths[name])
        return pool.activate(name)

    def is_loaded(self, name: str) -> bool:
        return name in self.backend.adapters.adapters

    def set_adapter_budget(self, budget_bytes: int | None) -> None:
        """Least recently used adapters are dropped past this many bytes (never the active one)."""
        self.backend.adapters.set_budget(budget_bytes)

    def adapter_memory(self) -> list[tuple[str, int]]:
        """(name, bytes) of each loaded adapter, least recently used first."""
        return self.backend.adapters.memory_table()

    def switch_seconds(self) -> list[float]:
        return list(self.backend.adapters.switch_seconds)

    def _manifest(self, name: str | None):
        """Adapter `name`'s manifest, read once (None: the base, or an adapter without one)."""
        from loco_mlx.adapters.directory import read_manifest

        path = self.adapter_paths.get(name) if name else None
        if path is None:
            return None
        key = Path(path).resolve()
        if key not in self._manifests:
            self._manifests[key] = read_manifest(key)
        return self._manifests[key]

    def tool_of(self, name: str | None) -> str | None:
        """The tool adapter `name` declares in its manifest (None: it answers in text)."""
        manifest = self._manifest(name)
        return manifest.tool if manifest is not None else None

    def domain_of(self, name: str | None) -> str | None:
        """The task adapter `name` was trained for, as its manifest records it ("json", "math", ...)."""
        manifest = self._manifest(name)
        return manifest.domain if manifest is not None else None

    def answers_with_tool(self, name: str | None) -> str | None:
        """The tool adapter `name`'s replies need, when tools are on (None: its replies are answers as they are)."""
        return self.tool_of(name) if self.tools.enabled else None

    @property
    def active_tool(self) -> str | None:
        """The tool the active adapter's replies need, when tools are on."""
        return self.answers_with_tool(self.adapter)

    def tool_for(self, name: str | None, messages: list[Message]) -> str | None:
        """The tool adapter `name` runs to answer `messages`: None when it has none, tools are off, or
        the request asks for code or JSON (then its reply is given as written: `kept_notice`)."""
        tool = self.answers_with_tool(name)
        return tool if tool and kept_notice(messages) is None else None

    def kept_notice(self, name: str | None, messages: list[Message]) -> str | None:
        """Why tool adapter `name`'s reply to `messages` is given as written, unrun (unrun_requests.py);
        None when nothing is kept: it runs its program, or it declares no tool."""
        return kept_notice(messages) if self.answers_with_tool(name) is not None else None

    @contextlib.contextmanager
    def base_only(self):
        """The plain base for the duration, then the active adapter again."""
        with self.backend.adapters.base_only():
            yield

    # --- routing -------------------------------------------------------------------------------

    @property
    def auto(self) -> bool:
        return self.router is not None and self.routing

    def route(self, query: str):
        """--adapter auto: switch to the router's choice for `query` and return its Decision
        (None when not routing). The router embeds with the plain base whatever is active."""
        if not self.auto:
            return None
        decision = self.router.route(query)
        self.use_adapter(decision.adapter)
        return decision

    def make_encoder(self, config):
        """The router's sentence encoder over this base (adapters off), on either backend."""
        return self.backend.make_encoder(config)

    # --- prompts -------------------------------------------------------------------------------

    def encode_chat(self, messages: list[Message]) -> list[int]:
        return self.backend.encode_chat(messages)

    def encode_text(self, text: str) -> list[int]:
        """Raw text, no chat template (completions)."""
        return list(self.backend.tokenizer.encode(text))

    def fit_to_context(self, prompt_ids: list[int], sampling: SamplingConfig) -> SamplingConfig:
        """`sampling` capped to the room the context leaves; ContextOverflow when there is none."""
        room = self.context_length - len(prompt_ids)
        if room < 1:
            tokens = len(prompt_ids)
            raise ContextOverflow(f"the prompt is {tokens} tokens, the model's context is {self.context_length}")
        return sampling.capped(room)

    def prepare_prompt(
        self, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig | None
    ) -> tuple[list[int], SamplingConfig]:
        """Prompt ids (RE2 applied if asked) and the sampling settings capped to the context left."""
        if inference is not None and inference.reread:
            messages = reread(messages)
        prompt_ids = self.encode_chat(messages)
        return prompt_ids, self.fit_to_context(prompt_ids, sampling)

    # --- generation ----------------------------------------------------------------------------

    def stream(
        self, prompt_ids: list[int], sampling: SamplingConfig, guide: JsonGuide | None = None, rewrite: bool = True
    ) -> Iterator[StreamEvent]:
        """The reply to prepared prompt ids, piece by piece; the last event carries the stats. A guided reply
        whose request wants a date or time in a fixed format has those values rewritten (json_formats.py),
        unless `rewrite` is off (the server rewrites after its stop strings, as its batch does)."""
        rewriter = guide.rewriter() if guide is not None and rewrite else None
        if rewriter is None:
            yield from self.backend.stream(prompt_ids, sampling, guide)
            return
        for event in self.backend.stream(prompt_ids, sampling, guide):
            text = rewriter.feed(event.text) + (rewriter.flush() if event.stats is not None else "")
            yield replace(event, text=text)

    def json_guide(
        self,
        messages: list[Message],
        inference: InferenceConfig | None,
        keys: list[str] | None = None,
        kinds=None,
        formats: list[ValueFormat | None] | None = None,
        adapter: str | None | ActiveAdapter = ACTIVE,
    ) -> JsonGuide | None:
        """The guide for a reply to `messages` (json_guide.py): when the last request names the JSON keys it
        wants and guiding is on; None otherwise. `keys`, their `kinds` and `formats`, where given (the API's
        response_format), are used as they are, [] for any one JSON object. Each reply needs its own guide.
        The reply is `adapter`'s (by default the active one's): a JSON adapter's reply is guided to the keys a
        request lists even when it does not say "JSON" ("orchestra, conductor, venue, date (YYYY-MM-DD)")."""
        source, request, extraction = None, "", keys is None
        if keys is None:
            mode = inference.json_guide if inference is not None else "off"
            request = last_user_message(messages) if mode != "off" else ""
            adapter = self.adapter if adapter is ACTIVE else adapter
            keys = guided_keys(request, json_replies=self.domain_of(adapter) == "json") if request else None
            if not keys:
                return None
            source = request if mode == "copy" else None
            kinds = [stated_kinds(request, key) for key in keys]
            formats = [stated_format(request, key) for key in keys]
            # a time among the request's own times; a boolean the text states plainly ("Wireless charging: no");
            # no null for a value the text labels ("Allergies: penicillin")
            kinds = [
                format_choices(request, fmt)
                or boolean_choices(request, key, keys, kind)
                or present_kinds(request, key, keys, kind)
                or kind
                for key, kind, fmt in zip(keys, kinds, formats)
            ]
        elif keys:  # a response_format schema: its dates and numbers are written by code, as a request's are
            request = last_user_message(messages)
        if keys:  # dates, times, and numbers as the text writes them ("48,650,000") are written by code
            stated, kinds_of = formats or [None] * len(keys), kinds or [None] * len(keys)
            formats = [fmt or number_format(kind) for fmt, kind in zip(stated, kinds_of)]
        return make_guide(self.tokenizer, keys, self.eos_token_ids(), source, kinds, formats, request, extraction)

    def chat(
        self, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig | None = None
    ) -> Iterator[StreamEvent]:
        """The reply to `messages`: streamed as it is decoded, or, when the active adapter writes
        programs, the program, its output and the answer (events' `part`; the last carries the ToolRun).
        A reply to a request for code that states examples has its function run on them: the last event
        carries that check (`example_check`)."""
        if self.tool_for(self.adapter, messages):
            yield from stream_with_tool(self, messages, sampling, inference, self.tools)
            return
        notice = self.kept_notice(self.adapter, messages)
        if notice:
            yield StreamEvent("", notice=notice)
        prompt_ids, sampling = self.prepare_prompt(messages, sampling, inference)
        events = self.stream(prompt_ids, sampling, self.json_guide(messages, inference))
        if notice or not self._checks_reply(messages, inference):
            yield from events  # a tool adapter's code is kept as written: never run, so never checked
            return
        parts, last = [], None
        for event in events:
            parts.append(event.text)
            if event.stats is not None:
                last = event  # held back: the check rides on the last event, after one sandbox run
            else:
                yield event
        if last is not None:
            yield replace(last, check=self.example_check(messages, "".join(parts), inference))

    def _checks_reply(self, messages: list[Message], inference: InferenceConfig | None) -> bool:
        """Whether a reply to `messages` is run on the examples its request states once written: a request for
        code that states some, `check_examples` and tools on, and a host that isolates (unlike votes, this
        unasked check never runs on rlimits alone)."""
        from loco_mlx.evaluation.sandbox import isolation

        if not wants_code(messages) or (inference is not None and not inference.check_examples):
            return False
        return self.tools.enabled and isolation() != "none" and bool(stated_examples(last_user_message(messages)))

    def example_check(
        self, messages: list[Message], reply: str, inference: InferenceConfig | None = None
    ) -> ExampleCheck | None:
        """A reply to a request for code, its function run on the examples the request states (`f(2) -> 4`,
        a `>>>` line) in the sandbox; None when there is nothing to check or it may not run (_checks_reply)."""
        return (
            check_reply(last_user_message(messages), reply, self.tools)
            if self._checks_reply(messages, inference)
            else None
        )

    def answer_batch(
        self, conversations: list[list[Message]], sampling: SamplingConfig, inference: InferenceConfig | None,
        batch_size: int = 8, progress=None,
    ) -> list[Answer]:  # fmt: skip
        """Whole answers to many conversations, decoded `batch_size` at a time (evaluation)."""
        if not self.active_tool:
            return self._answer_plain(conversations, sampling, inference, batch_size, progress)
        # programs run, except where the request asks for code or JSON: that reply is given as written
        asked = [self.kept_notice(self.adapter, c) is not None for c in conversations]
        run = [c for c, code in zip(conversations, asked) if not code]
        done = answer_with_tool(self, run, sampling, inference, self.tools, batch_size) if run else []
        ran = iter([Answer(a.text, tool=a.tool) for a in done])
        if progress is not None and run:
            progress(len(run))
        written = [c for c, code in zip(conversations, asked) if code]
        kept = iter(self._answer_plain(written, sampling, inference, batch_size, progress))
        return [next(kept) if code else next(ran) for code in asked]

    def _answer_plain(self, conversations, sampling, inference, batch_size, progress) -> list[Answer]:
        prompts = [self.prepare_prompt(c, sampling, inference)[0] for c in conversations]
        guides = [self.json_guide(c, inference) for c in conversations]
        answers: list[Answer] = []
        for start in range(0, len(prompts), batch_size):
            batch = prompts[start : start + batch_size]
            answers += [
                Answer(s.text) for s in self.generate_batch(batch, sampling, guides[start : start + batch_size])
            ]
            if progress is not None:
                progress(len(batch))
        return answers

    def generate_batch(
        self, prompts: list[list[int]], sampling: SamplingConfig, guides: list[JsonGuide | None] | None = None
    ) -> list[Sample]:
        """Several prepared prompts completed together (MLX: one batched decode; guided ones one by one)."""
        samples = self.backend.generate_batch(prompts, sampling, guides)
        rewriters = [g.rewriter() if g is not None else None for g in guides or [None] * len(prompts)]
        return [replace(s, text=r.rewrite(s.text)) if r else s for s, r in zip(samples, rewriters)]

    def vote(
        self,
        messages: list[Message],
        sampling: SamplingConfig,
        inference: InferenceConfig,
        json_format=(None, None, None),
    ) -> VoteResult:
        """Self-consistency: `inference.votes` samples in one batch, then the majority answer. `json_format`:
        the keys, kinds and formats of an API response_format (each sample decoded as that object; no program
        runs)."""
        hot = replace(sampling, temperature=inference.vote_temperature)
        if json_format[0] is None and self.tool_for(self.adapter, messages):  # many programs, each run
            n = inference.votes
            done = answer_with_tool(self, [messages] * n, hot, inference, self.tools, n, fallback=False)
            if any(a.text for a in done):  # a failed program has no vote
                result = decide(
                    [Sample(a.text, a.mean_logprob, a.tokens) for a in done if a.text], inference.vote_method
                )
                result.tools = [a.tool for a in done]
                return result
            with self.base_only():  # every program failed: the plain base votes instead
                result = self._vote_plain(messages, hot, inference)
            result.tools = [replace(a.tool, fallback=True) for a in done]
            return result
        return self._vote_plain(messages, hot, inference, json_format)

    def _vote_plain(
        self, messages: list[Message], hot: SamplingConfig, inference: InferenceConfig, json_format=(None, None, None)
    ) -> VoteResult:
        prompt_ids, hot = self.prepare_prompt(messages, hot, inference)
        guide = self.json_guide(messages, inference, *json_format)  # read once; each sample decodes a fresh copy
        guides = [guide.fresh() if guide else None for _ in range(inference.votes)]
        samples = self.generate_batch([prompt_ids] * inference.votes, hot, guides)
        code_request, method, examples = wants_code(messages), inference.vote_method, []
        if inference.check_examples and (method == "examples" or (method == "auto" and code_request)):
            examples = checkable_examples(last_user_message(messages), self.tools)
        if examples:  # each function runs on the stated examples; the greedy one competes too (it is often the best)
            greedy = self.generate_batch(
                [prompt_ids], replace(hot, temperature=0.0), [guide.fresh() if guide else None]
            )
            samples = greedy + samples
            return by_examples(samples, run_examples([s.text for s in samples], examples, self.tools))
        return decide(samples, method, code_request=code_request, json_guided=guide is not None)

    def generate(
        self,
        prompt: str,
        sampling: SamplingConfig,
        system: str | None = None,
        inference: InferenceConfig | None = None,
    ) -> Iterator[StreamEvent]:
        yield from self.chat(build_messages(prompt, system), sampling, inference)

    def complete(
        self,
        prompt: str,
        sampling: SamplingConfig,
        system: str | None = None,
        inference: InferenceConfig | None = None,
    ) -> tuple[str, GenerationStats | None]:
        """The whole answer at once (for tests, scripts and evaluation)."""
        answer = self.answer(build_messages(prompt, system), sampling, inference)
        return answer.text, answer.stats

    def answer(
        self, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig | None = None
    ) -> Answer:
        """The whole reply to `messages`: the answer's text (a tool adapter's program is in `tool`)."""
        answer = Answer("")
        parts = []
        for event in self.chat(messages, sampling, inference):
            if event.part == "answer":
                parts.append(event.text)
            answer.stats = event.stats or answer.stats
            answer.tool = event.tool or answer.tool
            if event.notice:
                answer.notices.append(event.notice)
            answer.check = event.check or answer.check
        answer.text = "".join(parts)
        return answer

    def greedy_tokens(self, prompt_ids: list[int], max_tokens: int) -> list[int]:
        """The greedy continuation's token ids (without the end-of-turn token): parity checks."""
        return self.backend.greedy_tokens(prompt_ids, max_tokens)

    def sequence_logits(self, ids: list[int]):
        """Full-vocabulary logits at every position of `ids`, with the active adapter: parity checks."""
        return self.backend.sequence_logits(ids)
