#!/usr/bin/env node
import { serve } from "./server";

// The entry of pulumi-resource-commvault (bin/ holds the launcher the engine runs).
serve(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`pulumi-resource-commvault: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
