/**
 * Loaded before the kernel (with `--import` into a real `oxios start --foreground` process, or
 * imported first by the in-process system): the first tool registry the kernel builds gets the
 * workload's `add` tool beside its own tools, so a profile may name it. Nothing else of the
 * kernel changes.
 */
import { ToolRegistry } from "@oxios/tools";
import { addTool } from "./oxios-add-tool.ts";

const register = ToolRegistry.prototype.register;
let added = false;
ToolRegistry.prototype.register = function registerWithAdd(this: ToolRegistry, ...tools) {
  const registry = register.apply(this, tools);
  if (!added) {
    added = true;
    register.call(this, addTool());
  }
  return registry;
};
