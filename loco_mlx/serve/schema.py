"""The pydantic request and response models of the OpenAI-compatible API."""

from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from loco_mlx.inference.voting import MAX_VOTES


class StreamOptions(BaseModel):
    include_usage: bool = False


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (penalties, user, ...)

    model: str
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)  # newer clients' name for max_tokens
    stop: Union[str, list[str], None] = None
    seed: int | None = None
    n: int = 1
    stream: bool = False
    stream_options: StreamOptions | None = None


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: Union[str, list[TextPart], None] = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(extra="ignore")  # name, strict, description: accepted, not needed

    schema_: dict = Field(..., alias="schema")


class ResponseFormat(BaseModel):
    """OpenAI's response_format: "json_object" promises one JSON object, "json_schema" an object with
    exactly the schema's properties, in its order (inference/json_guide.py decodes either)."""

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class ChatRequest(_Request):
    messages: list[ChatMessage] = Field(..., min_length=1)
    response_format: ResponseFormat | None = None
    # loco's own: self-consistency over this many samples (at `temperature` when above 0, else 0.7), as --votes
    votes: int = Field(1, ge=1, le=MAX_VOTES, strict=True)


class CompletionRequest(_Request):
    prompt: str
    votes: object = None  # chat only: refused here rather than ignored (app.py)


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class LocoInfo(BaseModel):
    adapter: str | None  # the adapter that answered; None: the plain base
    route_confidence: float | None  # the router's confidence ("auto" only)
    route: dict | None = None  # "auto" only: why (`loco route --explain --json`: keywords, probabilities, margin)
    notice: str | None = None  # e.g. a request for code to a tool adapter: its program is the reply, not run


class ToolInfo(BaseModel):
    """A tool adapter's program and its run (inference/tools.py ToolRun)."""

    tool: str
    program: str | None
    output: str
    error: str
    exit_status: int | None
    seconds: float
    attempts: int
    isolation: str
    answer: str | None
    fallback: bool


class VoteInfo(BaseModel):
    """How a request with `votes` was decided (inference/voting.py VoteResult)."""

    method: str  # numeric | exact | json | best | examples
    samples: int  # the replies voted on (a tool adapter's failed programs have no vote)
    answer: str | None  # the winning answer (None: best of N)
    distribution: list[tuple[str, int]]  # (answer, votes), most first
    summary: str  # as `loco generate --votes` prints it


class LocoVoteInfo(LocoInfo):
    """`loco` of a reply decided by votes."""

    vote: VoteInfo


class LocoToolInfo(LocoInfo):
    """`loco` of a reply a tool adapter gave: also its program and what running it did."""

    tool: ToolInfo


class LocoPart(LocoInfo):
    """`loco` of a streamed chunk of a tool adapter's reply: which part it belongs to."""

    part: Literal["program", "output", "answer"]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    loco: SerializeAsAny[LocoInfo]


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    loco: SerializeAsAny[LocoInfo] | None = None


class CompletionChoice(BaseModel):
    index: int = 0
    text: str
    finish_reason: str | None = None
    logprobs: None = None


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    loco: SerializeAsAny[LocoInfo] | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "loco"
    parent: str | None = None
    loco: dict | None = None  # kind (base, adapter, auto); an adapter's domain, tool and gate verdict and scores


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
