// The workflow editor (dashboard/workflows.py): an error's "Line N" button selects that line in the definition, and
// the line under the caret is shown below the text area. Without this script the errors still name their lines.
(() => {
  const source = document.getElementById("source");
  if (!source) return;
  const caret = document.getElementById("caret");
  const lineAt = (position) => source.value.slice(0, position).split("\n").length;
  const show = () => { if (caret) caret.textContent = `Line ${lineAt(source.selectionStart)}`; };
  const select = (line) => {
    const lines = source.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    const end = start + (lines[line - 1] || "").length;
    source.focus();
    source.setSelectionRange(start, end);
    const height = source.scrollHeight / Math.max(lines.length, 1);
    source.scrollTop = Math.max(0, (line - 3) * height);
    show();
  };
  document.querySelectorAll("[data-line]").forEach((button) => {
    button.addEventListener("click", () => select(Number(button.dataset.line)));
  });
  ["keyup", "click", "focus"].forEach((name) => source.addEventListener(name, show));
})();
