// The session screen (Ink): the printed transcript (Static, written once), the turn in progress, whichever
// question is open (approval, a list, a secret) or the prompt box, and a status line.
import { Box, Static, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useSyncExternalStore } from "react";
import type { Controller, UiState } from "./controller.js";
import type { Item } from "./transcript.js";
import { Header, type HeaderInfo, ItemView } from "./view.js";
import { ApprovalView, PickerView, PromptBox, SecretView } from "./widgets.js";

type Printed = { key: string; header: HeaderInfo } | (Item & { key: number });

function Overlay({ state }: { state: UiState }): ReactElement {
  const o = state.overlay;
  if (o.kind === "approval") return h(ApprovalView, { request: o.request });
  if (o.kind === "picker") return h(PickerView, o);
  if (o.kind === "secret") return h(SecretView, { label: o.label, length: o.value.length });
  return h(PromptBox, { editor: state.editor, busy: state.busy });
}

function Status({ state }: { state: UiState }): ReactElement {
  const { route, mode } = state.session;
  return h(
    Text,
    { dimColor: true },
    state.hint ? h(Text, { color: "yellow" }, `${state.hint}  `) : "",
    `${route.model} · approval: ${mode}${state.busy ? " · working…" : ""}`,
  );
}

export function App(p: { controller: Controller; header: Omit<HeaderInfo, "route" | "mode"> }): ReactElement {
  const c = p.controller;
  const state = useSyncExternalStore(c.subscribe, c.getState);
  useInput((input, key) => c.key(input, key));
  const { route, mode } = state.session;
  const printed: Printed[] = [
    { key: `header-${state.epoch}`, header: { ...p.header, route, mode } },
    ...state.transcript.done,
  ];
  return h(
    Box,
    { flexDirection: "column" },
    h(Static<Printed>, {
      key: state.epoch,
      items: printed,
      // biome-ignore lint/correctness/noChildrenProp: Ink's Static takes its render function as a prop
      children: (item) =>
        "header" in item
          ? h(Header, { key: item.key, info: item.header })
          : h(ItemView, { key: item.key, item }),
    }),
    ...state.transcript.live.map((item, i) => h(ItemView, { key: `live-${i}`, item })),
    h(Overlay, { state }),
    h(Status, { state }),
  );
}
