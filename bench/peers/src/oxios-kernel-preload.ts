/**
 * Loaded with `--import` into a real `oxios start --foreground` process: the first tool
 * registry the kernel builds gets the workload's `add` tool beside its own tools. Nothing
 * else of the kernel changes.
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
