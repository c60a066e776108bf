// Pick or drop a CSV file, see which template its header fits, choose the options, upload.
// A rostering file goes to POST /api/v1/upload, and so does a OneRoster bundle (a zip of CSV files
// with manifest.csv, known by its first bytes as the server knows it). A payments file goes to an import batch of the
// company and project chosen here: create the batch, upload its file, follow its import.

import { api, batchReferenceId, createBatch, listCompanies, uploadBatchFile, uploadCsv } from "../api.js";
import { fill, h } from "../dom.js";
import { formatBytes, plural } from "../format.js";
import { hasScope } from "../session.js";
import { companyPicker, noCompanyCallout } from "./company-picker.js";

// The detect endpoint reads at most 64 KiB: plenty for a header row and a few lines.
const DETECT_BYTES = 64 * 1024;
// A zip's first bytes: a local file header, or the end of an empty zip's directory.
const ZIP_MAGIC = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06],
];

async function isZip(file) {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return ZIP_MAGIC.some((magic) => magic.every((byte, index) => head[index] === byte));
}

// Which templates a client may detect among: both scopes, one, or (to say what would fit) rostering.
function detectQuery(canRoster, canPay) {
  if (canRoster && canPay) {
    return "";
  }
  return canPay ? "?scope=payments" : "?scope=rostering";
}

function scopeCallout(canRoster, canPay) {
  if (canRoster) {
    return null;
  }
  if (canPay) {
    return h(
      "div",
      { class: "callout callout-info" },
      h(
        "p",
        null,
        "This client imports payments files into one of your tenant’s companies: see the ",
        h("a", { href: "#/templates" }, "payments templates"),
        ". Rostering files need a client with the rostering scope.",
      ),
    );
  }
  return h(
    "div",
    { class: "callout callout-warning" },
    h("p", null, "This client lacks the rostering scope, and the payments scope too: uploads will be refused."),
  );
}

export function uploadView(page) {
  page.setTitle("Upload a file");
  const canRoster = hasScope("rostering");
  const canPay = hasScope("payments");
  let file = null;
  let uploading = null;
  // Each API's own limit: a rostering upload's, and a payments batch file's.
  let limits = null;
  // The detected (or closest) template and where its file goes: "rostering" or "payments".
  let importType = null;
  let route = null;
  // The file is a bundle: its manifest names each file's type and whether it is bulk or delta.
  let bundle = false;
  // The tenant's companies once loaded (payments clients only), or why they could not be.
  let companies = null;
  let companiesFailure = null;

  const input = h("input", {
    id: "file",
    type: "file",
    accept: canRoster ? ".csv,text/csv,.zip,application/zip" : ".csv,text/csv",
    class: "visually-hidden",
  });
  const chosen = h("div", { class: "chosen", "aria-live": "polite" });
  const detection = h("div", { class: "detection", "aria-live": "polite" });
  const picker = companyPicker();
  const noCompany = noCompanyCallout();
  const dryRun = h("input", { id: "dry-run", type: "checkbox", "aria-describedby": "dry-run-hint" });
  const abortOnError = h("input", { id: "abort-on-error", type: "checkbox", "aria-describedby": "abort-hint" });
  const sync = h("input", { id: "sync", type: "checkbox", "aria-describedby": "sync-hint" });
  const changeThreshold = h("input", {
    id: "change-threshold",
    type: "number",
    min: "0",
    max: "100",
    step: "any",
    value: "10",
    disabled: true,
  });
  sync.addEventListener("change", () => {
    changeThreshold.disabled = !sync.checked && !bundle;
  });
  const optionsNote = h(
    "p",
    { class: "hint options-note", id: "options-note" },
    "Payments files go through an import batch, which has no dry run and always imports the good rows.",
  );
  const bundleNote = h(
    "p",
    { class: "hint bundle-note", id: "bundle-note", hidden: true },
    "A bundle’s manifest.csv declares each file bulk or delta: every bulk file is fully synced, within the change threshold.",
  );
  const options = h(
    "fieldset",
    { class: "options" },
    h("legend", null, "Options"),
    optionsNote,
    bundleNote,
    h(
      "div",
      { class: "check" },
      dryRun,
      h("label", { for: "dry-run" }, "Dry run"),
      h("p", { class: "hint", id: "dry-run-hint" }, "Check every row and report what would happen; write nothing."),
    ),
    h(
      "div",
      { class: "check" },
      abortOnError,
      h("label", { for: "abort-on-error" }, "Abort on any error"),
      h("p", { class: "hint", id: "abort-hint" }, "Import nothing if a single row is wrong. Otherwise the good rows are imported."),
    ),
    h(
      "div",
      { class: "check" },
      sync,
      h("label", { for: "sync" }, "Full sync"),
      h(
        "p",
        { class: "hint", id: "sync-hint" },
        "The file is the complete list: your users, groups or organizations it leaves out are deactivated, " +
          "links and sessions it leaves out are removed.",
      ),
      h(
        "div",
        { class: "threshold" },
        h("label", { for: "change-threshold" }, "Change threshold (%)"),
        changeThreshold,
      ),
      h("p", { class: "hint" }, "If more than this share would go, nothing is written and the import fails."),
    ),
  );
  const submit = h("button", { type: "submit", class: "button", disabled: true }, "Upload and import");
  const cancel = h("button", { type: "button", class: "button button-secondary", hidden: true }, "Cancel upload");
  const progress = h("progress", { id: "upload-progress", max: "100", value: "0" });
  const progressText = h("span", { class: "progress-text" });
  const progressBox = h(
    "div",
    { class: "progress-box", hidden: true },
    h("label", { for: "upload-progress" }, "Upload progress"),
    progress,
    progressText,
  );

  const limitHint = h("span");
  const dropzone = h(
    "div",
    { class: "dropzone" },
    input,
    h("p", { class: "dropzone-title" }, canRoster ? "Drop a CSV file or a OneRoster .zip here" : "Drop a CSV file here"),
    h("p", { class: "muted" }, "or"),
    h("label", { for: "file", class: "button button-secondary file-label" }, "Choose a file…"),
    h("p", { class: "hint" }, "UTF-8 or UTF-16, separated by commas, semicolons or tabs.", limitHint),
  );

  function refuse(message) {
    file = null;
    importType = null;
    route = null;
    bundle = false;
    chosen.replaceChildren();
    detection.replaceChildren();
    showRoute();
    page.showError(message);
  }

  function choose(candidate) {
    page.clearAlerts();
    if (!candidate) {
      return;
    }
    const name = candidate.name.toLowerCase();
    if (name.endsWith(".zip") && !canRoster) {
      refuse(`${candidate.name}: a bundle is a rostering upload, and this client lacks the rostering scope.`);
      return;
    }
    if (!name.endsWith(".csv") && !name.endsWith(".zip")) {
      refuse(
        `${candidate.name} is not a .csv file${canRoster ? " or a .zip bundle" : ""}. ` +
          "Save the spreadsheet as “CSV UTF-8” and choose that file.",
      );
      return;
    }
    // Until detection says where the file goes, only a client that can go one way knows its limit.
    const known = canPay ? (canRoster ? null : "payments") : "rostering";
    if (known !== null && tooLarge(candidate, known)) {
      refuse(tooLargeMessage(candidate, known));
      return;
    }
    file = candidate;
    importType = null;
    bundle = false;
    // A client that may upload payments files waits for the template to know where the file goes.
    route = canPay ? null : "rostering";
    showRoute();
    fill(chosen, h("p", null, h("strong", null, file.name), h("span", { class: "muted" }, ` · ${formatBytes(file.size)}`)));
    inspect(file);
  }

  // A zip is a bundle, whatever its name (some systems export one as .csv); anything else has a header to read.
  async function inspect(candidate) {
    let zip = false;
    try {
      zip = canRoster && (await isZip(candidate));
    } catch {
      // Unreadable here: the header check says so.
    }
    if (candidate !== file) {
      return;
    }
    if (!zip) {
      detect(candidate);
      return;
    }
    bundle = true;
    route = "rostering";
    if (tooLarge(candidate, route)) {
      refuse(tooLargeMessage(candidate, route));
      return;
    }
    fill(
      detection,
      h(
        "div",
        { class: "callout callout-ok bundle-detected" },
        h("p", null, h("strong", null, "OneRoster bundle"), ": a zip of CSV files with manifest.csv, imported as one import."),
        h(
          "p",
          { class: "muted" },
          "Loadbay checks the zip and its manifest as it arrives, then imports the files in dependency order " +
            "(orgs, academic sessions, courses, classes, users, enrollments, demographics).",
        ),
      ),
    );
    showRoute();
  }

  function limitFor(where) {
    return limits === null ? null : where === "payments" ? limits.batchesMaxUploadBytes : limits.maxUploadBytes;
  }

  function tooLarge(candidate, where) {
    const limit = limitFor(where);
    return limit != null && candidate.size > limit;
  }

  function tooLargeMessage(candidate, where) {
    const what = where === "payments" ? "payments files" : "files";
    return (
      `File too large: ${candidate.name} is ${formatBytes(candidate.size)}; this server accepts ${what} up to ` +
      `${formatBytes(limitFor(where))}. Split the file and upload each part.`
    );
  }

  async function detect(candidate) {
    fill(detection, h("p", { class: "muted" }, "Reading the header…"));
    try {
      const [answer, scopes] = await Promise.all([
        api(`/api/v1/templates/detect${detectQuery(canRoster, canPay)}`, {
          method: "POST",
          body: candidate.slice(0, DETECT_BYTES),
          headers: { "Content-Type": "text/csv" },
          auth: false,
          signal: page.signal,
        }),
        templateScopes,
      ]);
      if (candidate !== file) {
        return;
      }
      // A header that fits nothing still goes where its closest template would: the server says what is wrong.
      importType = answer.importType || answer.closest;
      route = canPay && (scopes.get(importType) === "payments" || !canRoster) ? "payments" : "rostering";
      if (tooLarge(candidate, route)) {
        refuse(tooLargeMessage(candidate, route));
        return;
      }
      showDetection(answer);
      showRoute();
    } catch (error) {
      if (candidate === file && error.name !== "AbortError") {
        fill(detection, h("div", { class: "callout callout-warning" }, h("p", null, error.message)));
      }
    }
  }

  // What the page asks for depends on where the file goes.
  function showRoute() {
    const noCompanies = companies !== null && companies.length === 0 && (route === "payments" || !canRoster);
    noCompany.hidden = !noCompanies;
    picker.element.hidden = route !== "payments" || companies === null || noCompanies;
    options.disabled = route === "payments" || uploading !== null;
    optionsNote.hidden = route !== "payments";
    bundleNote.hidden = !bundle;
    // A bundle's manifest decides which files are synced: the threshold still applies to them.
    sync.disabled = bundle;
    if (bundle) {
      sync.checked = false;
    }
    changeThreshold.disabled = !sync.checked && !bundle;
    if (route === "payments") {
      dryRun.checked = false;
      abortOnError.checked = false;
      sync.checked = false;
      changeThreshold.disabled = true;
    }
    submit.disabled = file === null || route === null || uploading !== null || (route === "payments" && noCompanies);
  }

  // A list of column names as code, after a label: what an update with this file changes or keeps.
  function columnsLine(label, className, names) {
    const parts = [];
    names.forEach((name, index) => {
      parts.push(index ? ", " : "", h("code", null, name));
    });
    return h("p", { class: className }, `${label}: `, ...(names.length ? parts : ["none"]));
  }

  function showDetection(answer) {
    const columns = plural(answer.header.length, "column");
    if (answer.importType) {
      fill(
        detection,
        h(
          "div",
          { class: "callout callout-ok" },
          h("p", null, "Template: ", h("strong", { class: "detected-template" }, answer.importType), ` (${columns})`),
          columnsLine("Key", "detected-key", answer.key),
          columnsLine("The file sets", "detected-changes", answer.changes),
          answer.keeps.length ? columnsLine("A record it updates keeps what is stored in", "detected-keeps", answer.keeps) : null,
          h("p", { class: "muted" }, `Encoding ${answer.encoding}, separated by “${answer.delimiter === "\t" ? "tab" : answer.delimiter}”.`),
        ),
      );
      return;
    }
    fill(
      detection,
      h(
        "div",
        { class: "callout callout-warning" },
        h(
          "p",
          null,
          h("strong", null, "The header fits no template."),
          route === "payments" ? " Loadbay will refuse the file unless it is fixed:" : " The import will fail unless it is fixed:",
        ),
        h("ul", { class: "problems" }, answer.problems.map((problem) => h("li", null, problem))),
        h("p", null, "Compare it with the ", h("a", { href: "#/templates" }, "templates"), "."),
      ),
    );
  }

  async function onSubmit(event) {
    event.preventDefault();
    if (!file || uploading) {
      return;
    }
    page.clearAlerts();
    let destination = null;
    if (route === "payments") {
      destination = chooseDestination();
      if (destination === null) {
        return;
      }
    }
    uploading = new AbortController();
    page.signal.addEventListener("abort", () => uploading && uploading.abort());
    setBusy(true);
    try {
      const referenceId =
        destination === null
          ? await uploadCsv(
              file,
              {
                dryRun: dryRun.checked,
                abortOnError: abortOnError.checked,
                sync: sync.checked,
                changeThreshold: changeThreshold.value || "10",
                bundle,
              },
              { onProgress: showProgress, signal: uploading.signal },
            )
          : await uploadToBatch(destination);
      page.navigate(`/imports/${referenceId}`);
    } catch (error) {
      if (error.name === "AbortError") {
        page.showNotice("Upload cancelled. Nothing was imported.");
      } else {
        page.showError(error);
      }
    } finally {
      uploading = null;
      setBusy(false);
    }
  }

  // The company and project chosen, or null after saying what is missing.
  function chooseDestination() {
    if (companies === null) {
      page.showError(companiesFailure || "The companies are still loading; try again in a moment.");
      return null;
    }
    const chosenOne = picker.selection();
    if (chosenOne.problem) {
      page.showError(chosenOne.problem);
      chosenOne.focus.focus();
      return null;
    }
    return chosenOne;
  }

  async function uploadToBatch({ companyId, projectId }) {
    const { signal } = uploading;
    const batchId = await createBatch({ companyId, projectId, importType }, { signal });
    await uploadBatchFile(batchId, file, { onProgress: showProgress, signal });
    // The file is in and its import queued: past this point a cancel would cancel nothing.
    cancel.hidden = true;
    return batchReferenceId(batchId, { signal: page.signal });
  }

  function showProgress(loaded, total) {
    const percent = total ? Math.round((loaded / total) * 100) : 0;
    progress.value = percent;
    progressText.textContent = `${percent}% · ${formatBytes(loaded)} of ${formatBytes(total)}`;
  }

  function setBusy(busy) {
    input.disabled = busy;
    picker.element.disabled = busy;
    showRoute();
    cancel.hidden = !busy;
    progressBox.hidden = !busy;
    submit.textContent = busy ? "Uploading…" : "Upload and import";
    if (busy) {
      showProgress(0, file.size);
    }
  }

  // Knowing the limits spares sending a file the server will refuse. Without them (an older
  // server) the server's own answer still says the same.
  api("/api/v1/limits", { auth: false, signal: page.signal })
    .then((answer) => {
      limits = answer;
      const rostering = formatBytes(limits.maxUploadBytes);
      const payments = limits.batchesMaxUploadBytes ? formatBytes(limits.batchesMaxUploadBytes) : null;
      if (canPay && canRoster && payments) {
        limitHint.textContent = ` Rostering files up to ${rostering}, payments files up to ${payments}.`;
      } else if (canPay && payments) {
        limitHint.textContent = ` Up to ${payments}.`;
      } else if (!canPay) {
        limitHint.textContent = ` Up to ${rostering}.`;
      }
    })
    .catch(() => {});

  // Where each template's file goes. Without the list, a client's only scope still says it.
  const templateScopes = canPay
    ? api("/api/v1/templates", { auth: false, signal: page.signal })
        .then((answer) => new Map(answer.items.map((template) => [template.name, template.scope])))
        .catch(() => new Map())
    : Promise.resolve(new Map());

  if (canPay) {
    listCompanies({ signal: page.signal })
      .then((list) => {
        companies = list;
        picker.setCompanies(list);
        showRoute();
      })
      .catch((error) => {
        companiesFailure = error;
        page.showError(error);
      });
  }

  input.addEventListener("change", () => choose(input.files[0]));
  cancel.addEventListener("click", () => uploading && uploading.abort());
  dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropzone.classList.add("dropzone-over");
  });
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dropzone-over"));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("dropzone-over");
    if (!uploading) {
      choose(event.dataTransfer.files[0]);
    }
  });

  showRoute();
  fill(
    page.main,
    h("h1", null, "Upload a file"),
    h(
      "p",
      { class: "lead" },
      "Loadbay reads the template from the file’s header row, imports the rows in the background and reports every line it could not import. ",
      h("a", { href: "#/templates" }, "Download an empty template"),
      " to start a new file.",
    ),
    scopeCallout(canRoster, canPay),
    h(
      "form",
      { class: "panel form upload-form", onsubmit: onSubmit },
      dropzone,
      chosen,
      detection,
      noCompany,
      picker.element,
      options,
      progressBox,
      h("div", { class: "actions" }, submit, cancel),
    ),
  );
}
