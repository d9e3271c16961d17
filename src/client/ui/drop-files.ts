// Dropping files onto an area: highlights it while files are dragged over it
// (`drop-target` class) and hands the dropped files on. Text and links dragged
// about are left to the browser.

const hasFiles = (ev: DragEvent): boolean => ev.dataTransfer?.types.includes('Files') ?? false;

export function acceptDroppedFiles(area: HTMLElement, onFiles: (files: File[]) => void): void {
  // dragenter/dragleave fire for every child crossed: count them.
  let depth = 0;
  const clear = (): void => {
    depth = 0;
    area.classList.remove('drop-target');
  };
  area.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth++;
    area.classList.add('drop-target');
  });
  area.addEventListener('dragover', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
  });
  area.addEventListener('dragleave', (ev) => {
    if (!hasFiles(ev)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) clear();
  });
  area.addEventListener('drop', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    clear();
    onFiles([...(ev.dataTransfer?.files ?? [])]);
  });
}
