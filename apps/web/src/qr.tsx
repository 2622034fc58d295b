// A QR code drawn as one SVG path (no inline styles or markup strings, so the strict CSP holds).
import { encode } from "uqr";

const QUIET = 4; // modules of blank border scanners expect around the code

export function QrCode({ text, label, size = 200 }: { text: string; label: string; size?: number }) {
  const { data, size: n } = encode(text, { ecc: "M", border: 0 });
  let d = "";
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
    });
  });
  const box = n + QUIET * 2;
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${box} ${box}`}
      shapeRendering="crispEdges"
      className="qr"
    >
      <title>{label}</title>
      <rect width={box} height={box} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
