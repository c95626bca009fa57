// Settings for the ipywidgets HTML manager (widgets/embed-amd.js), loaded just before it.

// It loads its icon fonts from beside its AMD module: tell require.js that this is the
// book's _static/widgets folder, not the page's own folder.
require.config({
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL("widgets", document.currentScript.src)
      .href,
  },
});

// It typesets widget labels with MathJax 2's MathJax.Hub.Queue; the book loads MathJax 3.
// MathJax (deferred) has replaced its configuration object by itself at DOMContentLoaded,
// before the manager draws the widgets (at load).
window.addEventListener("DOMContentLoaded", () => {
  const mathjax = window.MathJax;
  if (mathjax && mathjax.startup && !mathjax.Hub) {
    mathjax.Hub = {
      Queue: ([, , element]) =>
        mathjax.startup.promise.then(() => mathjax.typesetPromise([element])),
    };
  }
});
