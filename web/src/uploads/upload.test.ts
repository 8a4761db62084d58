import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Upload } from "../api/types";
import { createUpload, sendParts } from "./upload";

// A gateway's upload routes in memory, with one reply lost on the way back: the uploader
// must ask for the offset and go on, and the bytes the gateway ends up with are the file.

function gateway(file: Uint8Array, loseReplyOfPatch: number) {
  const received: number[] = [];
  let offset = 0;
  let patches = 0;
  const fetchMock = vi.fn(async (_path: string, init: RequestInit) => {
    if (init.method === "PATCH") {
      patches += 1;
      const at = Number((init.headers as Record<string, string>)["Upload-Offset"]);
      const body = new Uint8Array(await (init.body as Blob).arrayBuffer());
      if (at === offset) {
        received.push(...body);
        offset += body.length;
      } else if (at + body.length !== offset) {
        return new Response(JSON.stringify({ detail: "wrong offset", offset }), { status: 409 });
      }
      if (patches === loseReplyOfPatch) throw new TypeError("network error");
      return new Response(null, { status: 204, headers: { "Upload-Offset": String(offset) } });
    }
    const state = { ...upload(file.length), offset, status: offset === file.length ? "queued" : "receiving" };
    return new Response(JSON.stringify(state), { status: 200, headers: { "Content-Type": "application/json" } });
  });
  return { fetchMock, received, patches: () => patches };
}

function upload(size: number): Upload {
  return {
    upload_id: "upl_1",
    meeting_id: "mtg_1",
    filename: "call.wav",
    size_bytes: size,
    offset: 0,
    part_max_bytes: 4,
    status: "receiving",
    progress: 0,
    error: null,
    end: false,
    room: false,
    uploaded_by: "usr_1",
    created_at: "2026-12-01T00:00:00Z",
    updated_at: "2026-12-01T00:00:00Z",
  };
}

beforeEach(() => vi.stubGlobal("window", globalThis));
afterEach(() => vi.unstubAllGlobals());

describe("sendParts", () => {
  it("resumes from the gateway's offset after a lost reply and sends every byte once", async () => {
    const bytes = new Uint8Array([...Array(10).keys()].map((i) => i * 7));
    const server = gateway(bytes, 2);
    vi.stubGlobal("fetch", server.fetchMock);
    const offsets: number[] = [];
    await sendParts("mtg_1", upload(bytes.length), new File([bytes], "call.wav"), (o) => offsets.push(o), {
      sleep: async () => undefined,
    });
    expect(server.received).toEqual([...bytes]);
    expect(offsets).toEqual([4, 8, 10]);
    expect(server.patches()).toBe(3); // the lost part was not sent again: the gateway had it
  });

  it("gives up at once on a refusal that no retry can fix", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ detail: "a part is at most 4 bytes" }), { status: 413 })),
    );
    const file = new File([new Uint8Array(10)], "call.wav");
    await expect(sendParts("mtg_1", upload(10), file, () => undefined)).rejects.toThrow("at most 4 bytes");
  });
});

describe("createUpload", () => {
  it("declares the file with whether it is a room recording and whether to end the meeting", async () => {
    const fetchMock = vi.fn(
      async () => new Response(JSON.stringify({ ...upload(10), room: true }), { status: 201, headers: { "Content-Type": "application/json" } }),
    );
    vi.stubGlobal("fetch", fetchMock);
    const created = await createUpload("mtg_1", new File([new Uint8Array(10)], "table.m4a"), { end: false, room: true });
    expect(created.room).toBe(true);
    const [path, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toContain("/api/v1/meetings/mtg_1/uploads");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body as string)).toEqual({ filename: "table.m4a", size_bytes: 10, end: false, room: true });
  });
});
