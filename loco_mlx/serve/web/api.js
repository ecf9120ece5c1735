// The server's OpenAI endpoints as the page uses them: the key (session storage, asked once), the
// model list, /health, and chat completions streamed as server-sent events over fetch (EventSource
// cannot POST), each event handed over parsed.

const KEY = "loco-api-key";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = apiKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    message = (await response.json()).error.message || message;
  } catch {
    // not our error shape: the status line says it
  }
  return new ApiError(response.status, message);
}

export async function listModels() {
  const response = await fetch("/v1/models", { headers: headers() });
  if (!response.ok) throw await failure(response);
  return (await response.json()).data;
}

export async function health() {
  const response = await fetch("/health");
  if (!response.ok) throw await failure(response);
  return response.json();
}

// POST the chat request with stream: true; call onEvent(chunk) for every data event. Resolves when
// the stream ends ([DONE], or the abort signal fired); an error event or status rejects with ApiError.
export async function streamChat(body, onEvent, signal) {
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    headers: headers(),
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data) continue;
        if (data === "[DONE]") return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(500, chunk.error.message);
        onEvent(chunk);
      }
    }
  } catch (error) {
    if (error.name === "AbortError") return; // the stop button
    throw error;
  } finally {
    reader.releaseLock();
  }
}
