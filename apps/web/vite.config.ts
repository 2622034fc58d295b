// Vite build for the web app: output to dist/, nothing inline, so it runs under the server's strict CSP.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  // Inline <script> would be blocked by `script-src 'self'`; small assets stay files rather than data: URIs.
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    target: "es2022",
  },
});
