import { describe, expect, it } from "vitest";
import { escapeExecWord, renderSystemdUnit } from "./systemd-unit.ts";

describe("renderSystemdUnit", () => {
  it("renders a user unit with restart on failure, SIGTERM and a stop timeout", () => {
    const unit = renderSystemdUnit({
      execStart: ["/usr/bin/node", "/opt/oxios/bin/oxios.mjs", "start", "--foreground"],
      home: "/home/ada/.oxios",
      environment: { OXIOS_PORT: "4200" },
    });
    expect(unit).toBe(
      [
        "[Unit]",
        "Description=Oxios agent OS kernel",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=/usr/bin/node /opt/oxios/bin/oxios.mjs start --foreground",
        'Environment="OXIOS_HOME=/home/ada/.oxios"',
        'Environment="OXIOS_PORT=4200"',
        "Restart=on-failure",
        "RestartSec=2",
        "KillMode=mixed",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=30",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
      ].join("\n"),
    );
  });

  it("honours the stop timeout and restart delay", () => {
    const unit = renderSystemdUnit({ execStart: ["/bin/oxios"], home: "/h", timeoutStopSec: 90, restartSec: 5 });
    expect(unit).toContain("\nTimeoutStopSec=90\n");
    expect(unit).toContain("\nRestartSec=5\n");
  });

  it("escapes specifiers, variables, spaces, quotes and backslashes", () => {
    expect(escapeExecWord("/usr/bin/node")).toBe("/usr/bin/node");
    expect(escapeExecWord("/home/ada/My Apps/oxios")).toBe('"/home/ada/My Apps/oxios"');
    expect(escapeExecWord("100%")).toBe("100%%");
    expect(escapeExecWord("$HOME")).toBe('"$$HOME"');
    expect(escapeExecWord('say "hi"\\now')).toBe('"say \\"hi\\"\\\\now"');
    expect(escapeExecWord(";")).toBe("\\;");
    expect(escapeExecWord("")).toBe('""');
    const unit = renderSystemdUnit({
      execStart: ["/usr/bin/node", "/srv/my oxios/main.mjs"],
      home: "/srv/50% home",
      environment: { OXIOS_API_TOKEN: 'a"b\\c$d' },
    });
    expect(unit).toContain('ExecStart=/usr/bin/node "/srv/my oxios/main.mjs"\n');
    expect(unit).toContain('Environment="OXIOS_HOME=/srv/50%% home"\n');
    expect(unit).toContain('Environment="OXIOS_API_TOKEN=a\\"b\\\\c$d"\n');
  });

  it("refuses what systemd cannot express or run", () => {
    const invalid = expect.objectContaining({ code: "DAEMON_UNIT_INVALID" });
    expect(() => renderSystemdUnit({ execStart: [], home: "/h" })).toThrowError(invalid);
    expect(() => renderSystemdUnit({ execStart: ["oxios"], home: "/h" })).toThrowError(invalid);
    expect(() => renderSystemdUnit({ execStart: ["/bin/oxios", "a\nb"], home: "/h" })).toThrowError(invalid);
    expect(() => renderSystemdUnit({ execStart: ["/bin/oxios"], home: "" })).toThrowError(invalid);
    expect(() =>
      renderSystemdUnit({ execStart: ["/bin/oxios"], home: "/h", environment: { "1BAD": "x" } }),
    ).toThrowError(invalid);
    expect(() =>
      renderSystemdUnit({ execStart: ["/bin/oxios"], home: "/h", environment: { OXIOS_HOME: "/other" } }),
    ).toThrowError(invalid);
    expect(() => renderSystemdUnit({ execStart: ["/bin/oxios"], home: "/h", timeoutStopSec: 0 })).toThrowError(invalid);
  });
});
