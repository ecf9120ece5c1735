// Markdown to DOM nodes, safely: every piece of model text becomes a text node (textContent), never
// HTML, so "<script>" or "<img onerror=...>" in a reply shows as those characters. Covers what small
// models write: fenced code blocks, headings, bullet and numbered lists, paragraphs, and inline code,
// bold, italic and http(s) links. Anything else stays plain text.

const FENCE = /^```\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\((https?:\/\/[^\s)]+)\))/;

export function renderMarkdown(text) {
  const root = document.createDocumentFragment();
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = line.match(FENCE);
    if (fence) {
      const code = [];
      i += 1;
      while (i < lines.length && !FENCE.test(lines[i])) code.push(lines[i++]);
      i += 1; // the closing fence (an unclosed block runs to the end: the reply may still be streaming)
      root.append(codeBlock(code.join("\n"), fence[1]));
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const h = document.createElement(`h${Math.min(heading[1].length + 2, 6)}`);
      appendInline(h, heading[2]);
      root.append(h);
      i += 1;
      continue;
    }
    if (BULLET.test(line) || NUMBERED.test(line)) {
      const pattern = BULLET.test(line) ? BULLET : NUMBERED;
      const list = document.createElement(pattern === BULLET ? "ul" : "ol");
      while (i < lines.length && pattern.test(lines[i])) {
        const item = document.createElement("li");
        appendInline(item, lines[i].match(pattern)[1]);
        list.append(item);
        i += 1;
      }
      root.append(list);
      continue;
    }
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) paragraph.push(lines[i++]);
    const p = document.createElement("p");
    paragraph.forEach((part, n) => {
      if (n) p.append(document.createElement("br"));
      appendInline(p, part);
    });
    root.append(p);
  }
  return root;
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || BULLET.test(line) || NUMBERED.test(line);
}

export function codeBlock(code, language = "") {
  const pre = document.createElement("pre");
  const element = document.createElement("code");
  if (language) element.dataset.language = language;
  element.textContent = code;
  pre.append(element);
  return pre;
}

function appendInline(parent, text) {
  let rest = text;
  while (rest) {
    const match = rest.match(INLINE);
    if (!match) {
      parent.append(document.createTextNode(rest));
      return;
    }
    if (match.index) parent.append(document.createTextNode(rest.slice(0, match.index)));
    const [whole, code, bold, italic, link, href] = match;
    if (code) {
      const element = document.createElement("code");
      element.textContent = code.slice(1, -1);
      parent.append(element);
    } else if (bold || italic) {
      const element = document.createElement(bold ? "strong" : "em");
      element.textContent = whole.slice(bold ? 2 : 1, bold ? -2 : -1);
      parent.append(element);
    } else if (link) {
      const a = document.createElement("a");
      a.textContent = whole.slice(1, whole.indexOf("]("));
      a.href = href; // http(s) only (the pattern): no javascript: links
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      parent.append(a);
    }
    rest = rest.slice(match.index + whole.length);
  }
}
