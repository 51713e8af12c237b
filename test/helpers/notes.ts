import { setNoteSink, setUrnSource } from "../../provider/connection/runtime";

/**
 * What the provider says, caught. The dynamic provider writes its notes to stderr (the engine
 * passes them through); `captureStderr` catches that. The plugin's door routes them through a
 * note sink; `captureNotes` installs one for every test of the describe block that calls it.
 */
export function captureStderr(): { text: () => string; restore: () => void } {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => (written.push(String(chunk)), true));
  return { text: () => written.join(""), restore: () => spy.mockRestore() };
}

/** The notes of each test, as `severity: message`, emptied before each test; the sink (and any URN source a test set) is undone after. */
export function captureNotes(): string[] {
  const said: string[] = [];
  beforeEach(() => {
    said.length = 0;
    setNoteSink((severity, message) => said.push(`${severity}: ${message}`));
  });
  afterEach(() => {
    setNoteSink(undefined);
    setUrnSource(undefined);
  });
  return said;
}
