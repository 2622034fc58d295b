// The commands that talk to the registry server (auth, search, update, vendor, publish).
import type { Command, Option } from "commander";
import type { MogCtx } from "./context.js";
import type { Act } from "./main.js";

export function registerOnlineCommands(
  _program: Command,
  _ctx: MogCtx,
  _act: Act,
  _json: () => Option,
): void {}
