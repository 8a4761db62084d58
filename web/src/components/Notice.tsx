// Messages for the person: errors are alerts (read at once), progress is a polite status.

import type { ReactNode } from "react";

export function ErrorMessage({ children, id }: { children: ReactNode; id?: string }) {
  if (!children) return null;
  return (
    <p className="notice notice-error" role="alert" id={id}>
      {children}
    </p>
  );
}

export function InfoMessage({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p className="notice notice-info" role="status">
      {children}
    </p>
  );
}
