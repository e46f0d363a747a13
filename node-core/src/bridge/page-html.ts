// The standalone page's HTML shell. The bundle (dist/webview.js) builds the whole UI and reads
// its connection from `location`, so this shell stays tiny and has no inline script.

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `token` is already verified: the asset URLs carry it because every route requires it. */
export function renderPageHtml(token: string): string {
  const query = `?token=${encodeURIComponent(token)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>P2P topology</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeAttribute(`/webview.css${query}`)}">
</head>
<body data-host="standalone">
<script src="${escapeAttribute(`/webview.js${query}`)}"></script>
</body>
</html>
`;
}
