// Re-transcribing a past meeting with another model (docs/protocol.md, "Re-transcribing a
// meeting"): the owner starts a job; any member may follow it.

import { apiRequest } from "./client";
import type { components } from "./gateway-schema";

export type Retranscription = components["schemas"]["RetranscriptionOut"];
export type RetranscriptionList = components["schemas"]["RetranscriptionListOut"];

const path = (meetingId: string) => `/api/v1/meetings/${encodeURIComponent(meetingId)}/retranscriptions`;

/** The meeting's jobs, newest first, and the models a job may use. */
export async function listRetranscriptions(meetingId: string): Promise<RetranscriptionList> {
  return apiRequest<RetranscriptionList>(path(meetingId));
}

/** Start a job (the owner only); 409 while audio streams in or a job runs. */
export async function startRetranscription(meetingId: string, model: string): Promise<Retranscription> {
  return apiRequest<Retranscription>(path(meetingId), { method: "POST", body: { model } });
}

/** Whether a job is still on its way (its status will change). */
export function isActive(job: Retranscription | null | undefined): boolean {
  return !!job && (job.status === "queued" || job.status === "transcribing" || job.status === "transcribed");
}
