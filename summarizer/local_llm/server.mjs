// A small OpenAI-compatible chat-completions server around node-llama-cpp, bound to loopback.
//
// node-llama-cpp ships prebuilt CPU binaries (no compiler, ~30 s to install) but has no HTTP
// server of its own. This one speaks the subset vori's summarizer uses: POST
// /v1/chat/completions (system + user messages, temperature, max_tokens, seed, and
// response_format json_schema or {"type":"json_object","schema":...} turned into a grammar),
// GET /v1/models and GET /health. Requests run one at a time on one context sequence.
import http from "node:http";
import { parseArgs } from "node:util";
import { getLlama, LlamaChatSession, LlamaGrammar, LlamaText } from "node-llama-cpp";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8090" },
    threads: { type: "string", default: "2" },
    ctx: { type: "string", default: "4096" },
    name: { type: "string", default: "local" },
  },
});
if (!args.model) {
  console.error("usage: server.mjs --model FILE.gguf [--host H] [--port P] [--threads N] [--ctx N]");
  process.exit(2);
}
const threads = Number(args.threads);
const maxBodyBytes = 2 * 1024 * 1024;

const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: "warn" });
const model = await llama.loadModel({ modelPath: args.model });
const context = await model.createContext({ contextSize: Number(args.ctx), threads });
const sequence = context.getSequence();
const grammars = new Map();
let queue = Promise.resolve();

class BadRequest extends Error {}

// The stock JSON-schema grammar lets the model indent with newlines, which costs a small
// model on a CPU about half of its tokens; the same generator without newlines is compact.
// It is not exported, so it is imported by file (the package's export map only covers ".").
async function compactGrammar(schema) {
  try {
    const generator = new URL(
      "./node_modules/node-llama-cpp/dist/utils/gbnfJson/getGbnfGrammarForGbnfJsonSchema.js",
      import.meta.url,
    );
    const { getGbnfGrammarForGbnfJsonSchema } = await import(generator.href);
    const grammar = getGbnfGrammarForGbnfJsonSchema(schema, { allowNewLines: false });
    return new LlamaGrammar(llama, {
      grammar,
      stopGenerationTriggers: [LlamaText(["\n".repeat(4)])],
      trimWhitespaceSuffix: true,
    });
  } catch (error) {
    console.warn(`compact grammar unavailable (${error.message}); using the stock one`);
    return llama.createGrammarForJsonSchema(schema);
  }
}

async function grammarFor(format) {
  if (!format || format.type === "text") return undefined;
  let schema;
  if (format.type === "json_schema") schema = format.json_schema?.schema;
  else if (format.type === "json_object") schema = format.schema;
  else throw new BadRequest(`unsupported response_format type ${JSON.stringify(format.type)}`);
  const cacheKey = JSON.stringify(schema ?? null);
  if (!grammars.has(cacheKey)) {
    grammars.set(cacheKey, schema ? compactGrammar(schema) : llama.getGrammarFor("json"));
  }
  try {
    return await grammars.get(cacheKey);
  } catch (error) {
    grammars.delete(cacheKey);
    throw new BadRequest(`schema not usable as a grammar: ${error.message}`);
  }
}

function text(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? "").join("");
  return "";
}

async function complete(body) {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new BadRequest("messages must be a non-empty list");
  const last = messages[messages.length - 1];
  if (last.role !== "user") throw new BadRequest("the last message must come from the user");
  const system = messages.filter((m) => m.role === "system").map((m) => text(m.content)).join("\n\n");
  const history = messages.slice(0, -1).filter((m) => m.role !== "system").map((m) =>
    m.role === "assistant" ? { type: "model", response: [text(m.content)] } : { type: "user", text: text(m.content) });
  const grammar = await grammarFor(body.response_format);
  await sequence.clearHistory();
  const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: system || undefined });
  try {
    if (history.length) session.setChatHistory([...session.getChatHistory(), ...history]);
    const promptTokens = model.tokenize(system + messages.map((m) => text(m.content)).join("\n")).length;
    let answer = await session.prompt(text(last.content), {
      grammar,
      maxTokens: Math.min(Number(body.max_tokens ?? body.max_completion_tokens ?? 1024), 4096),
      temperature: Number(body.temperature ?? 0),
      seed: body.seed === undefined ? undefined : Number(body.seed),
    });
    const completionTokens = model.tokenize(answer).length;
    return {
      id: `chatcmpl-${Date.now().toString(36)}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: args.name,
      choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
  } finally {
    session.dispose({ disposeSequence: false });
  }
}

function send(res, status, payload) {
  const data = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && (path === "/health" || path === "/v1/health")) return send(res, 200, { status: "ok", model: args.name });
  if (req.method === "GET" && path === "/v1/models") {
    return send(res, 200, { object: "list", data: [{ id: args.name, object: "model", owned_by: "local" }] });
  }
  if (req.method !== "POST" || path !== "/v1/chat/completions") return send(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > maxBodyBytes) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(res, 400, { error: { message: "body is not JSON" } });
    }
    if (body.stream) return send(res, 400, { error: { message: "streaming is not supported" } });
    // One evaluation at a time: a queue, so concurrent callers wait instead of failing.
    queue = queue.then(() => complete(body).then(
      (result) => send(res, 200, result),
      (error) => send(res, error instanceof BadRequest ? 400 : 500, { error: { message: String(error.message ?? error) } }),
    ));
  });
});
server.listen(Number(args.port), args.host, () => {
  console.log(`vori local LLM: ${args.name} on http://${args.host}:${args.port}/v1 (${threads} threads)`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
