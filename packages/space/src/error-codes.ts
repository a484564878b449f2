/**
 * The stable error codes @oxios/space throws (as `KernelError.code`). Callers branch on these;
 * messages are for people and may change.
 */

import { defineErrorCodes } from "@oxios/core";

export const SpaceErrorCode = defineErrorCodes("@oxios/space", {
  nameInvalid: {
    code: "SPACE_NAME_INVALID",
    kind: "invalid",
    description: "A space name is not a string, is empty, longer than 64 code points or holds control characters.",
  },
  inputInvalid: {
    code: "SPACE_INPUT_INVALID",
    kind: "invalid",
    description: "Any other field of a space, patch, message or conversation turn is wrong; `details.field` names it.",
  },
  notFound: {
    code: "SPACE_NOT_FOUND",
    kind: "not-found",
    description: "No space with that id; `details.spaceId` names it.",
  },
  nameTaken: {
    code: "SPACE_NAME_TAKEN",
    kind: "conflict",
    description: "Another space has that name.",
  },
  idTaken: {
    code: "SPACE_ID_TAKEN",
    kind: "conflict",
    description: "Another space has that id.",
  },
  defaultProtected: {
    code: "SPACE_DEFAULT_PROTECTED",
    kind: "denied",
    description: "The default space cannot be removed.",
  },
  storeCorrupt: {
    code: "SPACE_STORE_CORRUPT",
    kind: "internal",
    description: "A stored space cannot be decoded.",
  },
});
