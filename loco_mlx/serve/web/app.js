// The chat page: a conversation with the server's models, kept in local storage, streamed reply by
// reply. What only loco does is made visible: every reply carries a badge naming the specialist that
// answered (the router's choice under "auto", with its confidence and, on click, why), and a tool
// adapter's program and its sandbox output fold out above the answer.

import { ApiError, apiKey, health, listModels, setApiKey, streamChat } from "./api.js";
import { codeBlock, renderMarkdown } from "./markdown.js";

const STORE = "loco-chat-v1";
const $ = (id) => document.getElementById(id);

const state = load();
let models = [];
let maxVotes = null; // the server's cap on votes (/health), once known
let running = null; // the AbortController of the reply being streamed

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE));
    if (saved && Array.isArray(saved.messages)) return saved;
  } catch {
    // a damaged entry starts a new conversation
  }
  return { messages: [], system: "", model: "auto" };
}

function save() {
  localStorage.setItem(STORE, JSON.stringify(state));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- models and status ---------------------------------------------------------------------------

function modelLabel(card) {
  const about = card.loco || {};
  if (about.kind === "auto") return "auto (the router picks)";
  if (about.kind === "base") return `base (${card.id})`;
  const parts = [card.id];
  if (about.domain) parts.push(about.domain);
  if (about.verdict) {
    const score = about.score == null ? "" : ` ${about.score.toFixed(2)}`;
    const base = about.base_score == null ? "" : ` vs base ${about.base_score.toFixed(2)}`;
    parts.push(`${about.verdict}${score}${base}`);
  }
  if (about.tool) parts.push(`runs ${about.tool}`);
  return parts.join(" · ");
}

function modelValue(card) {
  return (card.loco || {}).kind === "base" ? "base" : card.id;
}

async function loadModels() {
  try {
    models = await listModels();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      askForKey(apiKey() ? "Wrong API key: the server refused it (401). Enter the key `loco serve` was given." : null);
      return false;
    }
    showStatus(`cannot reach the server: ${error.message}`, true);
    return false;
  }
  $("key-form").hidden = true;
  const picker = $("model");
  picker.replaceChildren();
  const order = (card) => ({ auto: 0, base: 1 })[(card.loco || {}).kind] ?? 2;
  for (const card of [...models].sort((a, b) => order(a) - order(b))) {
    const option = element("option", "", modelLabel(card));
    option.value = modelValue(card);
    picker.append(option);
  }
  const values = [...picker.options].map((o) => o.value);
  picker.value = values.includes(state.model) ? state.model : values[0];
  state.model = picker.value;
  return true;
}

function askForKey(message) {
  setApiKey(null);
  $("key-message").textContent = message || "This server wants an API key (loco serve --api-key).";
  $("key-message").classList.toggle("error", Boolean(message));
  $("key-form").hidden = false;
  $("key").focus();
}

function showStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

async function refreshStatus() {
  try {
    const h = await health();
    const field = $("max-tokens");
    if (h.max_tokens_limit) {
      field.max = h.max_tokens_limit; // the server refuses more (400)
      if (Number(field.value) > h.max_tokens_limit) field.value = h.max_tokens_limit;
    }
    if (h.max_votes) {
      maxVotes = h.max_votes; // likewise the samples one request may ask for
      $("votes").max = h.max_votes;
    }
    const adapters = models.filter((m) => (m.loco || {}).kind === "adapter").length;
    showStatus(`base ${h.base} · backend ${h.backend} · queue ${h.queue ?? 0} · ${adapters} specialists`);
  } catch (error) {
    showStatus(`server unreachable: ${error.message}`, true);
  }
}

// --- rendering -----------------------------------------------------------------------------------

function render() {
  const conversation = $("conversation");
  conversation.replaceChildren(...state.messages.map(messageView));
  conversation.scrollTop = conversation.scrollHeight;
}

function messageView(message) {
  const view = element("article", `message ${message.role}`);
  if (message.role === "user") {
    view.append(element("div", "content", message.content)); // the user's text, as typed
    return view;
  }
  fillAssistant(view, message);
  return view;
}

function fillAssistant(view, message) {
  const meta = message.meta || {};
  const parts = [];
  if (meta.model !== undefined) parts.push(badge(meta));
  if (meta.tool) parts.push(toolView(meta.tool));
  if (meta.notice) parts.push(element("p", "notice", meta.notice));
  const content = element("div", "content");
  content.append(renderMarkdown(message.content || ""));
  parts.push(content);
  if (meta.vote) parts.push(element("p", "vote", meta.vote)); // how the votes went: "numeric vote over 5: 7 x3, 9 x2"
  if (meta.error) parts.push(element("p", "error", meta.error));
  const stats = statsLine(meta);
  if (stats) parts.push(element("div", "stats", stats));
  view.replaceChildren(...parts);
}

function badge(meta) {
  const box = element("div", "meta");
  const name = meta.adapter || "base";
  const confidence = meta.confidence == null ? "" : ` · ${(meta.confidence * 100).toFixed(0)}%`;
  const button = element("button", "badge", `${name}${confidence}`);
  button.type = "button";
  button.dataset.adapter = name;
  box.append(button);
  if (meta.model === "auto") box.append(element("span", "routed", "routed"));
  const route = meta.route;
  if (route) {
    const why = element("div", "why");
    why.hidden = true;
    for (const line of explain(route)) why.append(element("div", "", line));
    button.title = explain(route).join("\n");
    button.addEventListener("click", () => {
      why.hidden = !why.hidden;
    });
    if (route.low_confidence) {
      const margin = route.margin == null ? "" : ` (margin ${route.margin.toFixed(2)})`;
      box.append(element("span", "notice", `low confidence: the router's top two choices are close${margin}`));
    }
    box.append(why);
  }
  return box;
}

function explain(route) {
  const lines = [`why: ${route.reason}`];
  const matched = Object.entries(route.keywords || {}).map(([label, words]) => `${label}: ${words.join(", ")}`);
  lines.push(`keywords: ${matched.length ? matched.join("; ") : "none matched"}`);
  const ranked = Object.entries(route.probabilities || {}).sort((a, b) => b[1] - a[1]);
  if (ranked.length) lines.push(`probability: ${ranked.map(([l, p]) => `${l} ${p.toFixed(3)}`).join(", ")}`);
  return lines;
}

function toolView(tool) {
  const details = element("details", "tool");
  const ran = tool.exit_status == null ? "did not run" : `exit ${tool.exit_status}, ${tool.seconds.toFixed(2)} s`;
  const isolation = tool.isolation ? `, sandbox: ${tool.isolation}` : "";
  details.append(element("summary", "", `program (${tool.tool || "python"}: ${ran}${isolation})`));
  if (tool.program) details.append(codeBlock(tool.program, "python"));
  const output = tool.error ? `${tool.output || ""}${tool.error}` : tool.output || "";
  if (output) details.append(element("pre", "output", output));
  if (tool.fallback) details.append(element("p", "notice", "the program failed: the plain base answered"));
  return details;
}

function statsLine(meta) {
  if (meta.tokens === undefined) return "";
  const parts = [`${meta.tokens} tokens`];
  if (meta.tps) parts.push(`${meta.tps.toFixed(1)} tok/s`);
  if (meta.ttft !== undefined) parts.push(`${meta.vote ? "voted in" : "first token"} ${meta.ttft.toFixed(2)} s`);
  if (meta.stopped) parts.push("stopped");
  return parts.join(" · ");
}

// --- sending -------------------------------------------------------------------------------------

function requestMessages() {
  const messages = [];
  if (state.system.trim()) messages.push({ role: "system", content: state.system });
  for (const m of state.messages) {
    if (m.pending || (m.meta && m.meta.error)) continue;
    messages.push({ role: m.role, content: m.content });
  }
  return messages;
}

async function send(text) {
  state.messages.push({ role: "user", content: text });
  const reply = { role: "assistant", content: "", meta: { model: state.model }, pending: true };
  const body = {
    model: state.model,
    messages: requestMessages(),
    max_tokens: Number($("max-tokens").value) || 512,
    temperature: Number($("temperature").value) || 0,
  };
  const votes = Math.round(Number($("votes").value) || 1);
  // the server's own field: many samples, one reply
  if (votes > 1) body.votes = Math.min(votes, maxVotes || votes);
  state.messages.push(reply);
  save();
  render();
  const view = $("conversation").lastElementChild;
  const parts = { program: "", output: "", answer: "" };
  let part = "answer";
  let frame = null;
  const started = performance.now();
  let first = null;
  let pieces = 0;
  const redraw = () => {
    frame = null;
    reply.content = parts.answer.replace(/^\n/, "");
    if ((parts.program || parts.output) && !reply.meta.tool) {
      reply.meta.streamingTool = { tool: "python", program: parts.program.trim(), output: parts.output.trim() };
    }
    fillAssistant(view, { ...reply, meta: { ...reply.meta, tool: reply.meta.tool || reply.meta.streamingTool } });
    $("conversation").scrollTop = $("conversation").scrollHeight;
  };
  running = new AbortController();
  setRunning(true);
  try {
    await streamChat(
      body,
      (chunk) => {
        const loco = chunk.loco;
        if (loco && reply.meta.adapter === undefined) {
          Object.assign(reply.meta, {
            adapter: loco.adapter, confidence: loco.route_confidence, route: loco.route, notice: loco.notice,
          });
        }
        if (loco && loco.part) part = loco.part;
        const choice = chunk.choices[0];
        const text = choice && choice.delta && choice.delta.content;
        if (text) {
          if (first === null) first = performance.now();
          parts[part] += text;
          pieces += 1;
        }
        if (choice && choice.finish_reason) {
          if (chunk.usage) reply.meta.tokens = chunk.usage.completion_tokens;
          if (loco && loco.tool) reply.meta.tool = loco.tool;
          if (loco && loco.vote) reply.meta.vote = loco.vote.summary;
        }
        if (!frame) frame = requestAnimationFrame(redraw);
      },
      running.signal,
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) askForKey("Wrong API key: the server refused it (401).");
    reply.meta.error = error.name === "AbortError" ? undefined : `error: ${error.message}`;
  } finally {
    if (frame) cancelAnimationFrame(frame);
    const ended = performance.now();
    if (running && running.signal.aborted) reply.meta.stopped = true;
    if (reply.meta.tokens === undefined) reply.meta.tokens = pieces;
    if (first !== null) {
      reply.meta.ttft = (first - started) / 1000;
      const decoding = (ended - first) / 1000;
      // a vote's reply arrives whole at the end: its tokens are every sample's, so no rate is shown
      if (decoding > 0 && reply.meta.tokens > 1 && !reply.meta.vote) reply.meta.tps = (reply.meta.tokens - 1) / decoding;
    }
    delete reply.meta.streamingTool;
    reply.content = parts.answer.replace(/^\n/, "");
    delete reply.pending;
    running = null;
    setRunning(false);
    save();
    fillAssistant(view, reply);
    setTimeout(refreshStatus, 500); // the worker counts the job done just after its last chunk
  }
}

function setRunning(on) {
  $("send").hidden = on;
  $("stop").hidden = !on;
  $("prompt").disabled = false;
}

// --- wiring --------------------------------------------------------------------------------------

function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("prompt").value.trim();
    if (!text || running) return;
    $("prompt").value = "";
    send(text);
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => running && running.abort());
  $("new-chat").addEventListener("click", () => {
    if (running) running.abort();
    state.messages = [];
    save();
    render();
  });
  $("model").addEventListener("change", () => {
    state.model = $("model").value;
    save();
  });
  $("system").value = state.system;
  $("system").addEventListener("input", () => {
    state.system = $("system").value;
    save();
  });
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setApiKey($("key").value.trim());
    $("key").value = "";
    if (await loadModels()) refreshStatus();
  });
}

async function start() {
  for (const m of state.messages) {
    if (m.pending) {
      delete m.pending; // a reply cut by a reload: kept as far as it got
      m.meta = { ...(m.meta || {}), stopped: true };
    }
  }
  wire();
  render();
  if (await loadModels()) await refreshStatus();
  setInterval(() => document.visibilityState === "visible" && refreshStatus(), 5000);
}

start();
