// The report link carries the key after "#": browsers never send the fragment to the server.
(function () {
  var match = /(?:^#|&)key=([^&]+)/.exec(window.location.hash);
  var field = document.getElementById("id_key");
  if (match && field && !field.value) {
    field.value = decodeURIComponent(match[1]);
    history.replaceState(null, "", window.location.pathname);
  }
})();
