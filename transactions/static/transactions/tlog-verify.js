/* The verify page's own check of a certificate against the register's transparency log.
 *
 * The server's verdict says "genuine"; this script lets the citizen's device check it
 * without trusting the server: the code's Ed25519 signature, that the log's entry is the
 * one the code names, the checkpoint signed by the log and cosigned by its witnesses
 * (C2SP signed-note, tlog-checkpoint, tlog-cosignature), the entry's RFC 9162 inclusion
 * proof against the checkpoint's root, and that the log only grew since this device last
 * looked (a consistency proof against the checkpoint it remembers in localStorage).
 *
 * No library: WebCrypto's Ed25519 and SHA-256. Data come from the page's json_script
 * "tlog-data"; the code from the page's own address. Strings go through gettext() of
 * Django's JavaScriptCatalog. window.landinfoTlog exposes the pure functions (the tests
 * compare them with transactions/journal/merkle.py, the bench times `check`).
 */
(() => {
  "use strict";

  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate || ((text) => text);
  const named = (text, values) => interpolate(text, values, true);
  const encoder = new TextEncoder();
  const HASH_SIZE = 32;
  const MAX_SIGNATURES = 32;
  const ED25519 = 0x01;
  const COSIGNATURE_V1 = 0x04;
  const MAX_TIMESTAMP = (1n << 63n) - 1n;
  // The certificate code: issue.py's _SIGNED (">B4sBqqq8s16s8s2s") and a 64-byte signature.
  const CODE_SIGNED = 64;
  const CODE_PREFIX = encoder.encode("landinfo-certificate-v1\n");
  const CONTROL = /[\x00-\x09\x0b-\x1f]/;
  const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
  const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  const MEMORY = "landinfo.tlog.";

  /** A check that failed, with the sentence the citizen reads. */
  class Refused extends Error {}

  // --- bytes ------------------------------------------------------------------------------

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  function equal(a, b) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  /** Decode standard base64, refusing any other spelling of the same bytes (as notes.py). */
  function b64decode(text) {
    if (typeof text !== "string" || !BASE64.test(text)) throw new Refused("base64");
    const bytes = Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
    if (b64encode(bytes) !== text) throw new Refused("base64"); // stray bits in the last digit
    return bytes;
  }

  function b64encode(bytes) {
    return btoa(String.fromCharCode(...bytes));
  }

  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Refused("base64url");
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (text.length % 4)) % 4);
    return b64decode(padded);
  }

  async function sha256(...parts) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
  }

  async function ed25519Verify(publicKey, signature, message) {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  // --- RFC 9162 §2.1 (the same steps as transactions/journal/merkle.py) ------------------

  const leafHash = (data) => sha256(Uint8Array.of(0), data);
  const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);
  // Sizes may pass 2**31: halve with arithmetic, not JavaScript's 32-bit shifts.
  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;

  function isPowerOfTwo(n) {
    while (n > 1 && !odd(n)) n = half(n);
    return n === 1;
  }

  function checkHashes(proof) {
    if (!proof.every((node) => node.length === HASH_SIZE)) throw new Refused("proof hash size");
  }

  /** Return the root `proof` makes of leaf hash `leaf` at `index` (RFC 9162 §2.1.3.2). */
  async function rootFromInclusion(index, size, leaf, proof) {
    if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
      throw new Refused("leaf not in tree");
    }
    checkHashes(proof);
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Refused("proof too long");
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        if (!odd(fn)) while (fn !== 0 && !odd(fn)) [fn, sn] = [half(fn), half(sn)];
      } else {
        r = await nodeHash(r, p);
      }
      [fn, sn] = [half(fn), half(sn)];
    }
    if (sn !== 0) throw new Refused("proof too short");
    return r;
  }

  /** Return whether `proof` shows the tree of `oldSize` is a prefix of `newSize`'s (§2.1.4.2). */
  async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
    if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize) && oldSize >= 0 && oldSize <= newSize)) {
      return false;
    }
    if (oldSize === 0 || oldSize === newSize) {
      return proof.length === 0 && (oldSize === 0 || equal(oldRoot, newRoot));
    }
    if (proof.length === 0 || !proof.every((node) => node.length === HASH_SIZE)) return false;
    const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
    let fn = oldSize - 1;
    let sn = newSize - 1;
    while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (!odd(fn)) while (fn !== 0 && !odd(fn)) [fn, sn] = [half(fn), half(sn)];
      } else {
        sr = await nodeHash(sr, c);
      }
      [fn, sn] = [half(fn), half(sn)];
    }
    return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
  }

  // --- C2SP signed notes, checkpoints and cosignatures (as transactions/journal/notes.py) -

  function checkName(name) {
    if (!name || name.includes("+") || /\s/.test(name) || CONTROL.test(name)) throw new Refused("key name");
  }

  async function keyId(name, type, publicKey) {
    const digest = await sha256(encoder.encode(name + "\n"), Uint8Array.of(type), publicKey);
    return new DataView(digest.buffer).getUint32(0);
  }

  /** Return {name, type, key, id} of a vkey `<name>+<key ID>+base64(type || key)`. */
  async function parseVkey(vkey, type) {
    const first = vkey.indexOf("+");
    const second = vkey.indexOf("+", first + 1);
    if (first < 0 || second < 0) throw new Refused("vkey");
    const [name, hexId, material] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
    checkName(name);
    const data = b64decode(material);
    if (!/^[0-9a-f]{8}$/.test(hexId) || data.length !== 33 || data[0] !== type) throw new Refused("vkey");
    const key = data.slice(1);
    const id = await keyId(name, type, key);
    if (id !== parseInt(hexId, 16)) throw new Refused("vkey key ID");
    return { name, type, key, id };
  }

  /** Return a note's text and signature lines, checking only its form. */
  function splitNote(note) {
    if (typeof note !== "string" || !note.endsWith("\n") || CONTROL.test(note)) throw new Refused("note");
    const at = note.lastIndexOf("\n\n");
    if (at < 0) throw new Refused("note");
    const lines = note.slice(at + 2).split("\n").slice(0, -1);
    if (lines.length === 0 || lines.length > MAX_SIGNATURES) throw new Refused("note");
    const signatures = lines.map((line) => {
      if (!line.startsWith("\u2014 ")) throw new Refused("signature line");
      const rest = line.slice(2);
      const space = rest.indexOf(" ");
      if (space < 0) throw new Refused("signature line");
      const name = rest.slice(0, space);
      checkName(name);
      const blob = b64decode(rest.slice(space + 1));
      if (blob.length < 5) throw new Refused("signature line");
      return { name, id: new DataView(blob.buffer).getUint32(0), signature: blob.slice(4) };
    });
    return { text: note.slice(0, at + 1), signatures };
  }

  /** Return {origin, size, root} of a checkpoint's text, refusing any other spelling. */
  function parseCheckpoint(text) {
    if (typeof text !== "string" || !text.endsWith("\n") || CONTROL.test(text)) throw new Refused("checkpoint");
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || lines.some((line) => line === "")) throw new Refused("checkpoint");
    const [origin, size, root] = lines;
    if (!DECIMAL.test(size) || !Number.isSafeInteger(Number(size))) throw new Refused("checkpoint size");
    const hash = b64decode(root);
    if (hash.length !== HASH_SIZE) throw new Refused("checkpoint root");
    return { origin, size: Number(size), root: hash };
  }

  function cosignedMessage(text, timestamp) {
    return encoder.encode(`cosignature/v1\ntime ${timestamp}\n${text}`);
  }

  /** Return whether `signature` (after the key ID) by `verifier` signs the note's `text`. */
  async function verifyLine(verifier, text, signature) {
    if (verifier.type === ED25519) {
      return signature.length === 64 && ed25519Verify(verifier.key, signature, encoder.encode(text));
    }
    if (signature.length !== 8 + 64) return false;
    const timestamp = new DataView(signature.buffer, signature.byteOffset).getBigUint64(0);
    if (timestamp > MAX_TIMESTAMP) return false;
    return ed25519Verify(verifier.key, signature.slice(8), cosignedMessage(text, timestamp));
  }

  /** Return how many of `verifiers` signed the note; a known key whose signature fails refuses it. */
  async function countSigners(note, verifiers) {
    const signed = new Set();
    for (const line of note.signatures) {
      const verifier = verifiers.find((v) => v.name === line.name && v.id === line.id);
      if (!verifier) continue; // an unknown key's line: ignored, as the spec says
      if (!(await verifyLine(verifier, note.text, line.signature))) throw new Refused(verifier.name);
      signed.add(verifier.id + " " + verifier.name);
    }
    return signed.size;
  }

  // --- the checks, one line each ----------------------------------------------------------

  /** Return the code's sequence and head prefix once its signature verifies with the log's key. */
  async function checkCode(code, logKey) {
    let raw;
    try {
      raw = b64urlDecode(code);
    } catch (_) {
      throw new Refused(gettext("The code in this page's address cannot be read as a certificate code."));
    }
    if (raw.length !== CODE_SIGNED + 64) {
      throw new Refused(gettext("The code in this page's address cannot be read as a certificate code."));
    }
    const signed = raw.slice(0, CODE_SIGNED);
    const view = new DataView(signed.buffer);
    const keyPrefix = (await sha256(logKey.key)).slice(0, 4);
    const signedBy = equal(signed.slice(1, 5), keyPrefix);
    if (!signedBy || !(await ed25519Verify(logKey.key, raw.slice(CODE_SIGNED), concat(CODE_PREFIX, signed)))) {
      throw new Refused(
        gettext("The certificate code is not signed by the key of the register's log: the code was altered, or this page does not come from the register.")
      );
    }
    return { sequence: Number(view.getBigInt64(14)), headPrefix: hex(signed.slice(30, 38)) };
  }

  function checkEntry(data, stated) {
    if (data.entry !== stated.sequence) {
      throw new Refused(
        named(gettext("The register sent the proof of entry #%(entry)s, but the certificate names entry #%(sequence)s."), {
          entry: data.entry,
          sequence: stated.sequence,
        })
      );
    }
    if (typeof data.entry_hash !== "string" || !data.entry_hash.startsWith(stated.headPrefix)) {
      throw new Refused(
        named(gettext("Entry #%(entry)s of the log no longer has the hash the certificate states (%(prefix)s…): the journal was changed after the certificate was issued."), {
          entry: stated.sequence,
          prefix: stated.headPrefix,
        })
      );
    }
    return named(gettext("Entry #%(entry)s of the log has the hash the certificate states (%(prefix)s…)."), {
      entry: stated.sequence,
      prefix: stated.headPrefix,
    });
  }

  async function checkCheckpoint(data, logKey) {
    const notSigned = gettext("The log's checkpoint is not signed by the register's key, or is not written as a checkpoint must be: it cannot be trusted.");
    let note;
    let checkpoint;
    try {
      note = splitNote(data.checkpoint);
      checkpoint = parseCheckpoint(note.text);
      if (checkpoint.origin !== logKey.name || (await countSigners(note, [logKey])) !== 1) throw new Refused();
    } catch (error) {
      if (error instanceof Refused) throw new Refused(notSigned);
      throw error;
    }
    if (checkpoint.size !== data.tree_size) {
      throw new Refused(
        named(gettext("The checkpoint covers %(size)s entries, but the proof was made for %(tree)s."), {
          size: checkpoint.size,
          tree: data.tree_size,
        })
      );
    }
    const text = named(gettext("The log's checkpoint of %(size)s entries is signed by the register's key (root %(root)s)."), {
      size: checkpoint.size,
      root: b64encode(checkpoint.root),
    });
    return { note, checkpoint, text };
  }

  async function checkWitnesses(data, note) {
    const quorum = trustedQuorum(data);
    if (!(quorum >= 1)) {
      throw new Refused(gettext("The register names no independent witness: only the register itself vouches for its checkpoint."));
    }
    const witnesses = [];
    for (const vkey of trustedWitnesses(data)) {
      try {
        witnesses.push(await parseVkey(vkey, COSIGNATURE_V1));
      } catch (error) {
        if (!(error instanceof Refused)) throw error; // a key this script cannot read counts for nothing
      }
    }
    let count;
    try {
      count = await countSigners(note, witnesses);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      throw new Refused(named(gettext("The cosignature of witness %(name)s does not verify: the checkpoint is not trusted."), { name: error.message }));
    }
    if (count < quorum) {
      throw new Refused(
        named(gettext("Too few independent witnesses cosigned the log's checkpoint (%(count)s, with %(quorum)s required): it is not trusted."), {
          count,
          quorum,
        })
      );
    }
    return named(gettext("Independent witnesses cosigned the checkpoint: %(count)s, with %(quorum)s required."), { count, quorum });
  }

  async function checkInclusion(data, checkpoint) {
    let root;
    try {
      const proof = (data.inclusion_proof || []).map(b64decode);
      if (!/^[0-9a-f]{64}$/.test(data.entry_hash)) throw new Refused("entry hash");
      const entryHash = Uint8Array.from(data.entry_hash.match(/../g), (h) => parseInt(h, 16));
      root = await rootFromInclusion(data.entry - 1, data.tree_size, await leafHash(entryHash), proof);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
    }
    if (!root || !equal(root, checkpoint.root)) {
      throw new Refused(
        named(gettext("The inclusion proof does not lead to the checkpoint's root: entry #%(entry)s cannot be shown to be in the log."), {
          entry: data.entry,
        })
      );
    }
    return named(gettext("Entry #%(entry)s is in the log of %(size)s entries: its inclusion proof leads to the checkpoint's root."), {
      entry: data.entry,
      size: checkpoint.size,
    });
  }

  // What this device remembers of the register's log, for the whole site (not per origin
  // named by the page: a page that renamed its log must not escape the memory): the log's
  // origin and key and its witnesses' keys as first seen (trust on first use), and the
  // largest checkpoint that passed every check.
  const SITE = MEMORY + "site";

  function remembered() {
    try {
      const kept = JSON.parse(window.localStorage.getItem(SITE) || "null");
      if (!kept || !Number.isSafeInteger(kept.size) || typeof kept.vkey !== "string") return null;
      return { size: kept.size, root: b64decode(kept.root), origin: kept.origin, vkey: kept.vkey, witnesses: kept.witnesses.filter((w) => typeof w === "string"), quorum: kept.quorum };
    } catch (_) {
      return null; // storage off, or something else wrote there: as a first visit
    }
  }

  function remember(checkpoint, identity) {
    try {
      window.localStorage.setItem(
        SITE,
        JSON.stringify({ size: checkpoint.size, root: b64encode(checkpoint.root), origin: checkpoint.origin, vkey: identity.vkey, witnesses: identity.witnesses, quorum: identity.quorum })
      );
    } catch (_) {
      // A browser that keeps nothing (private window) compares nothing next time.
    }
  }

  /** Refuse a log shown under another name or key than this device saw before. */
  function checkIdentity(data, logKey) {
    const seen = remembered();
    if (seen && (seen.vkey !== data.log_vkey || seen.origin !== logKey.name)) {
      throw new Refused(
        named(gettext("The register now shows its log under another name or key (%(now)s) than this device saw before (%(seen)s). Tell the land registry office."), {
          now: logKey.name,
          seen: seen.origin,
        })
      );
    }
    return seen
      ? gettext("The register's log has the name and key this device saw before.")
      : gettext("This device sees the register's log for the first time; it remembers its name and key, and its witnesses, to compare later visits with them.");
  }

  /** The cosignatures needed: never fewer than this device was first told. */
  function trustedQuorum(data) {
    const seen = remembered();
    const asked = Number.isSafeInteger(data.quorum) ? data.quorum : 0;
    return Math.max(asked, seen && Number.isSafeInteger(seen.quorum) ? seen.quorum : 0);
  }

  /** The witnesses whose cosignatures count: those this device saw first, once it saw any. */
  function trustedWitnesses(data) {
    const seen = remembered();
    const offered = Array.isArray(data.witness_vkeys) ? data.witness_vkeys : [];
    return seen && seen.witnesses.length ? offered.filter((vkey) => seen.witnesses.includes(vkey)) : offered;
  }

  async function consistent(older, newer, fetchProof) {
    const answer = await fetchProof(older.size, newer.size);
    const proof = answer.consistency_proof.map(b64decode);
    return verifyConsistency(older.size, newer.size, older.root, newer.root, proof);
  }

  /** Compare the checkpoint with the largest one this device verified before (split view). */
  async function checkHistory(checkpoint, identity, fetchProof) {
    const seen = remembered();
    const twoHistories = () =>
      new Refused(
        named(
          checkpoint.size >= seen.size
            ? gettext("The register has shown this device two different histories: the log of %(size)s entries it shows now does not extend the one of %(seen)s entries it showed before. Tell the land registry office.")
            : gettext("The register has shown this device two different histories: the log of %(size)s entries it shows now is not a part of the one of %(seen)s entries it showed before. Tell the land registry office."),
          { size: checkpoint.size, seen: seen.size }
        )
      );
    if (!seen) {
      remember(checkpoint, identity);
      return gettext("This device had not checked this log before; it now remembers this checkpoint, to compare later ones with it.");
    }
    if (seen.size === checkpoint.size) {
      if (!equal(seen.root, checkpoint.root)) throw twoHistories();
      return gettext("This checkpoint is the one this device checked before.");
    }
    const [older, newer] = seen.size < checkpoint.size ? [seen, checkpoint] : [checkpoint, seen];
    let ok;
    try {
      ok = await consistent(older, newer, fetchProof);
    } catch (_) {
      throw new Refused(gettext("The register did not send the proof that its log only grew since this device last checked it: that cannot be confirmed now."));
    }
    if (!ok) throw twoHistories();
    if (newer === checkpoint) {
      remember(checkpoint, { vkey: seen.vkey, witnesses: seen.witnesses, quorum: seen.quorum });
      return named(gettext("The log grew from %(seen)s to %(size)s entries since this device last checked it, and only by additions."), {
        seen: seen.size,
        size: checkpoint.size,
      });
    }
    return named(gettext("This checkpoint is older than the one of %(seen)s entries this device checked before, which extends it."), { seen: seen.size });
  }

  // A proof that never comes is a proof not sent: the check ends rather than waits.
  const FETCH_TIMEOUT_MS = 10000;

  async function fetchConsistency(from, to) {
    const response = await fetch(`/api/ledger/proof/consistency?from=${from}&to=${to}`, {
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  /** Run the checks in order; return {outcome, lines}, each line {check, ok, text}. */
  async function check(code, data, fetchProof = fetchConsistency) {
    const lines = [];
    const step = async (name, run) => {
      try {
        lines.push({ check: name, ok: true, text: await run() });
        return true;
      } catch (error) {
        if (error.name === "NotSupportedError") throw error; // no Ed25519 here: nothing was checked
        // Anything else is data the register sent that cannot be what it claims.
        const text = error instanceof Refused ? error.message : gettext("The register sent data this check cannot read: it cannot be confirmed.");
        lines.push({ check: name, ok: false, text });
        return false;
      }
    };
    if (data === null || typeof data !== "object" || data.status === "unavailable" || !data.log_vkey) {
      if (remembered()) {
        // A register whose log this device checked before does not stop having one.
        lines.push({ check: "log", ok: false, text: gettext("The register no longer shows the key of the log this device checked before, so nothing here can be confirmed. Tell the land registry office.") });
        return { outcome: "failed", lines };
      }
      lines.push({ check: "log", ok: null, text: gettext("The register publishes no key for its log here, so your browser cannot check the proof.") });
      return { outcome: "unavailable", lines };
    }
    let logKey;
    let stated;
    const keyRead = await step("key", async () => {
      try {
        logKey = await parseVkey(data.log_vkey, ED25519);
      } catch (_) {
        throw new Refused(gettext("The key the register gives for its log cannot be read."));
      }
      stated = await checkCode(code, logKey);
      return gettext("The certificate code is signed by the register's key.");
    });
    if (!keyRead) return { outcome: "failed", lines };
    // The log this device saw before, whatever the register says of this certificate next.
    if (!(await step("identity", async () => checkIdentity(data, logKey)))) return { outcome: "failed", lines };
    if (data.status === "mismatch") {
      lines.push({ check: "log", ok: false, text: gettext("The register's journal no longer matches the checkpoint its witnesses cosigned: it was changed afterwards. Report this certificate to the registrar.") });
      return { outcome: "failed", lines };
    }
    if (data.status !== "proved") {
      const seen = remembered();
      if (seen && seen.size >= stated.sequence) {
        lines.push({
          check: "pending",
          ok: false,
          text: named(gettext("The register says no witnessed checkpoint covers entry #%(entry)s yet, but this device checked one of %(seen)s entries before. Tell the land registry office."), {
            entry: stated.sequence,
            seen: seen.size,
          }),
        });
        return { outcome: "failed", lines };
      }
      lines.push({
        check: "pending",
        ok: null,
        text: named(gettext("No checkpoint cosigned by the witnesses covers entry #%(entry)s yet: the register publishes one soon. Check again later."), { entry: stated.sequence }),
      });
      return { outcome: "pending", lines };
    }
    let signed;
    const identity = { vkey: data.log_vkey, witnesses: trustedWitnesses(data), quorum: trustedQuorum(data) };
    const ok = [
      await step("entry", async () => checkEntry(data, stated)),
      await step("checkpoint", async () => {
        signed = await checkCheckpoint(data, logKey);
        return signed.text;
      }),
    ];
    if (signed) {
      ok.push(await step("witnesses", () => checkWitnesses(data, signed.note)));
      ok.push(await step("inclusion", () => checkInclusion(data, signed.checkpoint)));
      // Only a checkpoint that passed every check is remembered or compared.
      if (ok.every(Boolean)) ok.push(await step("history", () => checkHistory(signed.checkpoint, identity, fetchProof)));
    }
    return { outcome: ok.every(Boolean) ? "ok" : "failed", lines };
  }

  // --- the page ---------------------------------------------------------------------------

  const MARKS = { true: "\u2713", false: "\u2717", null: "\u2026" };
  const SUMMARIES = {
    ok: gettext("Confirmed by your browser against the register's public log"),
    failed: gettext("Your browser found a problem: see the line marked ✗"),
    pending: gettext("Pending: the public log does not cover this certificate yet"),
    unavailable: gettext("Your browser could not check the public log"),
  };

  function show(fold, result, elapsed) {
    const list = fold.querySelector(".tlog-checks");
    list.replaceChildren(
      ...result.lines.map((line) => {
        const item = document.createElement("li");
        item.dataset.check = line.check;
        item.dataset.ok = line.ok === null ? "pending" : String(line.ok);
        const mark = document.createElement("span");
        mark.className = "tlog-mark";
        mark.setAttribute("aria-hidden", "true");
        mark.textContent = MARKS[line.ok];
        item.append(mark, " ", line.text);
        return item;
      })
    );
    fold.querySelector(".tlog-outcome").textContent = SUMMARIES[result.outcome];
    fold.dataset.outcome = result.outcome;
    if (result.outcome === "failed") fold.open = true; // the line marked ✗ is what to read next
    fold.dataset.elapsedMs = elapsed.toFixed(2);
  }

  async function run() {
    const fold = document.getElementById("tlog-fold");
    const source = document.getElementById("tlog-data");
    if (!fold || !source) return;
    const started = performance.now();
    let result;
    if (!window.crypto || !crypto.subtle) {
      result = {
        outcome: "unavailable",
        lines: [{ check: "browser", ok: null, text: gettext("This browser cannot check signatures here: it needs a secure (https) connection and a recent version.") }],
      };
    } else {
      try {
        const data = JSON.parse(source.textContent);
        const code = decodeURIComponent(window.location.pathname.replace(/\/+$/, "").split("/").pop());
        result = await check(code, data);
      } catch (error) {
        result =
          error.name === "NotSupportedError"
            ? {
                outcome: "unavailable",
                lines: [{ check: "browser", ok: null, text: gettext("This browser could not make the check (its cryptography does not offer Ed25519).") }],
              }
            : {
                outcome: "failed",
                lines: [{ check: "data", ok: false, text: gettext("The register sent data this check cannot read: it cannot be confirmed.") }],
              };
      }
    }
    show(fold, result, performance.now() - started);
  }

  window.landinfoTlog = { check, rootFromInclusion, verifyConsistency, leafHash, nodeHash, sha256, ed25519Verify, b64decode, b64encode, splitNote, parseCheckpoint };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
