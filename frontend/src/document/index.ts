export type * from "./types.js";
export { emptyDocument, cloneDocument, documentFromServer, frameKey, frameOf, pruneEmpty } from "./document.js";
export { DocumentStore } from "./store.js";
export type { SaveState, StoreEvent, StoreListener, SavePayload, StoreOptions } from "./store.js";
export { Autosaver } from "./autosave.js";
export type { SaveFn, Timers, AutosaveOptions } from "./autosave.js";
