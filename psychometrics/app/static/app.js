// The little script of the app: follow a running job, submit on change. Pages work without it.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (job) {
    var url = job.getAttribute("data-status");
    var step = document.getElementById("job-step");
    var elapsed = document.getElementById("job-elapsed");
    var poll = function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.state !== "running") { window.location.reload(); return; }
          step.textContent = s.progress;
          elapsed.textContent = Math.round(s.elapsed);
          window.setTimeout(poll, 300);
        })
        .catch(function () { window.setTimeout(poll, 1000); });
    };
    window.setTimeout(poll, 200);
  }
  var auto = document.querySelectorAll("select.autosubmit");
  for (var i = 0; i < auto.length; i++) {
    auto[i].addEventListener("change", function (e) { e.target.form.submit(); });
  }
})();
