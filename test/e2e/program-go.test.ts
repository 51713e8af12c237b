import { describeProgram } from "../helpers/language-program";
import { GO } from "../helpers/languages";

// The first build of a Go program compiles Pulumi's Go SDK (about 4 minutes on 2 cores); it
// lands in Go's build cache, shared with plugin-sdks.test.ts (same flags).
jest.setTimeout(900_000);

/** Issue 20 item 1: examples/go, a Go program on sdk/go, under the plain CLI (pulumi-language-go beside it). */
describeProgram(GO);
