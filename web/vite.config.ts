/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app with hot reload and forwards the API to a running
// gateway (VORI_GATEWAY_URL, default the local `make run` address).
const gateway = process.env.VORI_GATEWAY_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  // No source maps in the production build: the gateway serves dist/ to anyone, and the
  // maps would publish the full sources (`npm run dev` has its own for debugging).
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    proxy: {
      "/api": { target: gateway, ws: true, changeOrigin: true },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
