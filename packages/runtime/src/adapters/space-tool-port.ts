/** `@oxios/space`'s SpaceManager behind the tools' SpacePort (space_list, space_get, space_activate). */

import { KernelError } from "@oxios/core";
import type { Space, SpaceManager } from "@oxios/space";
import { SpaceErrorCode } from "@oxios/space";
import type { SpaceInfo, SpacePort } from "@oxios/tools";

export class SpaceManagerToolPort implements SpacePort {
  readonly #spaces: SpaceManager;

  constructor(spaces: SpaceManager) {
    this.#spaces = spaces;
  }

  async list(): Promise<SpaceInfo[]> {
    return (await this.#spaces.list()).map(toInfo);
  }

  async get(spaceId: string): Promise<SpaceInfo | undefined> {
    try {
      return toInfo(await this.#spaces.get(spaceId));
    } catch (error) {
      // An unknown id is an answer ("no such space"), not a failure of the port.
      if (error instanceof KernelError && error.code === SpaceErrorCode.notFound) return undefined;
      throw error;
    }
  }

  async activate(spaceId: string, sessionId: string): Promise<SpaceInfo> {
    return toInfo(await this.#spaces.activate(spaceId, sessionId));
  }
}

function toInfo(space: Space): SpaceInfo {
  return { id: space.id, name: space.name, ...(space.description ? { description: space.description } : {}) };
}
