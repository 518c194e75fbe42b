// Back office, bulk import of merchants: refuse a file that is too large before sending it,
// and while an import runs, post its next chunk until it is done, moving the progress bar.
// Without script the page still works: the "continue" button posts one chunk at a time.
(() => {
  const upload = document.getElementById("import-form");
  if (upload) {
    upload.addEventListener("submit", (event) => {
      const input = document.getElementById("file");
      const error = document.getElementById("file-error");
      const file = input.files && input.files[0];
      if (file && file.size > Number(upload.dataset.maxBytes)) {
        event.preventDefault();
        error.textContent = upload.dataset.tooLarge;
        error.hidden = false;
      }
    });
  }

  const panel = document.getElementById("import-progress");
  if (!panel) { return; }
  const bar = document.getElementById("import-bar");
  const done = document.getElementById("import-done");
  const error = document.getElementById("import-error");
  const button = document.getElementById("import-continue");
  button.hidden = true;
  const body = new URLSearchParams({ csrf_token: panel.dataset.csrf });

  const step = async () => {
    const response = await fetch(panel.dataset.stepUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json();
  };

  (async () => {
    try {
      for (;;) {
        const progress = await step();
        bar.value = progress.done;
        done.textContent = progress.done.toLocaleString();
        if (progress.status !== "running") { break; }
      }
      window.location.reload();
    } catch (failure) {
      error.textContent = panel.dataset.failed;
      error.hidden = false;
      button.hidden = false;
    }
  })();
})();
