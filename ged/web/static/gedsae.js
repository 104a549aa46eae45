// gedsae — our one script: the CSRF header on htmx requests, and uploading several files by
// drag and drop with a progress bar each. Pages work without it (plain forms).
// Each file's raw bytes are posted alone (XMLHttpRequest, for its upload progress events);
// text is only ever set with textContent.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  function percent(loaded, total) {
    return total ? Math.round((loaded / total) * 100) : 100;
  }

  function row(list, file) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Envoi de " + file.name);
    var state = document.createElement("span");
    state.className = "etat";
    state.textContent = "En attente";
    item.append(name, bar, state);
    list.append(item);
    return { bar: bar, state: state, item: item };
  }

  function failure(xhr) {
    try {
      return JSON.parse(xhr.responseText).detail || "Échec de l'envoi";
    } catch (ignored) {
      return "Échec de l'envoi";
    }
  }

  function sendOne(url, file, shown) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url + "?nom=" + encodeURIComponent(file.name));
      xhr.setRequestHeader("X-CSRF-Token", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          shown.bar.max = event.total;
          shown.bar.value = event.loaded;
          shown.state.textContent = "Envoi : " + percent(event.loaded, event.total) + " %";
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 201) {
          var answer = JSON.parse(xhr.responseText);
          shown.bar.value = shown.bar.max;
          shown.state.textContent = "Déposé (" + answer.taille + ") : ";
          var link = document.createElement("a");
          link.href = answer.adresse;
          link.textContent = answer.titre;
          shown.state.append(link);
          resolve(true);
        } else {
          shown.state.textContent = failure(xhr);
          shown.item.classList.add("erreur");
          resolve(false);
        }
      });
      xhr.addEventListener("error", function () {
        shown.state.textContent = "Échec de l'envoi : la connexion a été interrompue";
        shown.item.classList.add("erreur");
        resolve(false);
      });
      shown.state.textContent = "Envoi : 0 %";
      xhr.send(file);
    });
  }

  function setUpUpload(form) {
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector(".depot-zone");
    var section = document.querySelector(".envois");
    var list = document.getElementById("depot-progression");
    var summary = document.getElementById("depot-bilan");
    var url = form.getAttribute("data-upload-url");

    async function send(files) {
      if (!files.length) {
        return;
      }
      section.hidden = false;
      summary.textContent = "Envoi de " + files.length + " fichier(s) en cours…";
      var shown = files.map(function (file) { return row(list, file); });
      var done = 0;
      for (var i = 0; i < files.length; i += 1) {
        if (await sendOne(url, files[i], shown[i])) {
          done += 1;
        }
      }
      summary.textContent = done + " fichier(s) déposé(s) sur " + files.length + ".";
      input.value = "";
    }

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("survol");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("survol"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      send(Array.from(event.dataTransfer.files));
    });
    form.addEventListener("submit", function (event) {
      if (input.files.length) {
        event.preventDefault();
        send(Array.from(input.files));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload-url]").forEach(setUpUpload);
  });
})();
