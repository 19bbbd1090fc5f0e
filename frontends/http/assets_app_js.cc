// /assets/app.js: live updates for pages that already work without it. It never builds HTML
// from data (only textContent and DOM nodes), so nothing it shows can run as markup.
//
//  - #current-run (Sender, Receiver Overview): asks /receiver-stats/current every 500 ms and
//    moves the progress bar; when the run ends it shows the run's final figures from
//    /api/runs/{timestamp} at 100 % and, on the Receiver Overview, reloads the runs and
//    charts (#runs-area) from the page itself.
//  - #cpu-load (Autoscaler): asks /api/cpu-load every second for the state, the time left
//    and the burners.
#include "assets.h"

namespace pcfdemo::web {

const char kAppJs[] = R"js(
'use strict';
(function () {
  const RUN_POLL_MS = 500;
  const CPU_POLL_MS = 1000;

  async function getJson(url) {
    const response = await fetch(url, {
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) throw new Error(url + ' answered ' + response.status);
    return response.json();
  }

  function setText(root, selector, text) {
    const element = root.querySelector(selector);
    if (element) element.textContent = text;
  }

  // --- the run in progress ---

  function progressOf(run) {
    const requested = run.max_possible_count || (run.request && run.request.calls) || 0;
    if (run.status === 'finished' || run.status === 'abandoned') {
      return { done: (run.succeeded_calls || 0) + (run.failed_calls || 0), total: requested };
    }
    if (run.status === 'running' && run.progress && run.progress.total === requested) {
      return { done: run.progress.done, total: run.progress.total };
    }
    if (run.status === 'running') return { done: run.current_request_count || 0, total: requested };
    return { done: 0, total: requested };
  }

  function showProgress(section, run, note) {
    const { done, total } = progressOf(run);
    const clamped = Math.max(0, Math.min(done, total));
    const percent = total > 0 ? Math.floor((clamped * 100) / total) : 0;
    const bar = section.querySelector('#run-progress');
    bar.max = Math.max(total, 1);
    bar.value = clamped;
    bar.dataset.percent = String(percent);
    bar.textContent = percent + '%';
    setText(section, '#run-progress-text',
      clamped + ' of ' + total + ' calls (' + percent + '%)' + (note ? ' · ' + note : ''));
    setText(section, '[data-field="timestamp"]',
      run.timestamp == null ? 'not started yet' : String(run.timestamp));
    setText(section, '[data-field="status"]', run.status);
    setText(section, '[data-field="strategy"]', run.strategy || '');
    setText(section, '[data-field="calls"]', String(total));
    if (run.request) {
      setText(section, '[data-field="concurrency"]', String(run.request.concurrency));
      setText(section, '[data-field="destination"]', run.request.destination);
    }
    section.dataset.state = run.status;
    section.hidden = false;
  }

  async function refreshRunsArea() {
    const area = document.getElementById('runs-area');
    if (!area) return;
    const response = await fetch(window.location.href, { cache: 'no-store' });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.getElementById('runs-area');
    if (fresh) area.replaceWith(document.importNode(fresh, true));
  }

  function addAnotherRunLink(section) {
    if (!document.getElementById('sender-form') && window.location.pathname === '/sender' &&
        !section.querySelector('#another-run')) {
      const paragraph = document.createElement('p');
      const link = document.createElement('a');
      link.id = 'another-run';
      link.href = '/sender';
      link.textContent = 'Start another run';
      paragraph.appendChild(link);
      section.appendChild(paragraph);
    }
  }

  async function finish(section, lastSeen) {
    let run = null;
    try {
      if (lastSeen && lastSeen.timestamp != null) {
        run = await getJson('/api/runs/' + encodeURIComponent(lastSeen.timestamp));
      } else {
        const list = await getJson('/api/runs?limit=1');
        run = list.runs && list.runs[0];
      }
    } catch (error) {
      run = null;
    }
    if (run && (run.status === 'finished' || run.status === 'abandoned')) {
      const lost = run.lost_updates == null ? 0 : run.lost_updates;
      showProgress(section, run, run.succeeded_calls + ' succeeded, ' + run.current_request_count +
        ' counted, ' + lost + ' lost updates');
    } else {
      setText(section, '#run-progress-text', 'The run is no longer pending or running.');
      section.dataset.state = 'gone';
    }
    addAnotherRunLink(section);
    try {
      await refreshRunsArea();
    } catch (error) {
      // The table stays as it was; the next page load shows the run.
    }
  }

  function followRuns(section) {
    // A run shown by the server is followed from the start, even if it ends before the
    // first answer.
    let lastSeen = section.hidden ? null
      : { timestamp: section.dataset.timestamp ? Number(section.dataset.timestamp) : null };
    async function poll() {
      try {
        const answer = await getJson('/receiver-stats/current');
        if (answer.run) {
          const newRun = lastSeen && lastSeen.timestamp != null &&
            answer.run.timestamp !== lastSeen.timestamp;
          if (newRun) {
            await finish(section, lastSeen);
          }
          lastSeen = answer.run;
          showProgress(section, answer.run, '');
        } else if (lastSeen) {
          const ended = lastSeen;
          lastSeen = null;
          await finish(section, ended);
        }
        section.classList.remove('unreachable');
      } catch (error) {
        section.classList.add('unreachable');
        if (lastSeen) {
          setText(section, '#run-progress-text', 'The server does not answer; retrying.');
        }
      }
      window.setTimeout(poll, RUN_POLL_MS);
    }
    poll();
  }

  // --- the CPU load switch ---

  function showCpuLoad(table, state) {
    const badge = table.querySelector('#cpu-state');
    badge.textContent = state.state;
    badge.className = 'badge ' + (state.state === 'ON' ? 'on' : 'off');
    const on = state.state === 'ON';
    setText(table, '#cpu-target', on ? state.target_percent + ' % of each burning thread' : '-');
    let left = '-';
    if (on) {
      const s = state.time_left_s;
      left = s >= 3600 ? Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min'
        : s >= 60 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : s + ' s';
      if (state.expires_at) {
        left += ' (until ' + state.expires_at.slice(0, 19).replace('T', ' ') + ' UTC)';
      }
    }
    setText(table, '#cpu-time-left', left);

    const burners = document.getElementById('burners');
    if (!burners) return;
    burners.replaceChildren();
    if (!state.burners || state.burners.length === 0) {
      const none = document.createElement('p');
      none.id = 'no-burners';
      none.textContent = 'No worker reports burning.';
      burners.appendChild(none);
      return;
    }
    const list = document.createElement('table');
    list.className = 'facts';
    const head = list.insertRow();
    for (const title of ['Worker', 'Threads', 'Achieved utilisation']) {
      const th = document.createElement('th');
      th.textContent = title;
      head.appendChild(th);
    }
    for (const burner of state.burners) {
      const row = list.insertRow();
      row.insertCell().textContent = burner.worker;
      const threads = row.insertCell();
      threads.className = 'num';
      threads.textContent = String(burner.threads);
      const achieved = row.insertCell();
      achieved.className = 'num';
      achieved.textContent = Number(burner.achieved_percent).toFixed(1) + ' %';
    }
    burners.appendChild(list);
  }

  function followCpuLoad(table) {
    async function poll() {
      try {
        showCpuLoad(table, await getJson('/api/cpu-load'));
      } catch (error) {
        // Keep what is shown; the next poll tries again.
      }
      window.setTimeout(poll, CPU_POLL_MS);
    }
    window.setTimeout(poll, CPU_POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', function () {
    const section = document.getElementById('current-run');
    if (section) followRuns(section);
    const cpu = document.getElementById('cpu-load');
    if (cpu) followCpuLoad(cpu);
  });
})();
)js";

}  // namespace pcfdemo::web
