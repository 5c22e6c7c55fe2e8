'use strict';
// The cohorts section of each migration card: the files' include and exclude lists, the operator's
// lists apart from them, and a form to add or remove one unit with a reason and If-Match (the
// revision on screen). Kept in its own file and section so that it stays apart from the card's code.
(function () {
  function el(tag, cls, textContent) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (textContent !== undefined) e.textContent = textContent;
    return e;
  }

  function describeFiles(list) {
    if (!list || list.length === 0) return 'none';
    return list.map((c) => {
      if (c.cohort === null || c.cohort === undefined) return c.units.join(', ');
      const parts = [];
      if (c.file) parts.push('file ' + c.file);
      parts.push(c.unitCount + (c.unitCount === 1 ? ' unit' : ' units'));
      if (c.prefixes && c.prefixes.length) parts.push('prefixes ' + c.prefixes.join(', '));
      return c.cohort + ' (' + parts.join(', ') + ')';
    }).join('; ');
  }

  function build(card) {
    const section = el('section', 'cohorts');
    const titleId = card.root.querySelector('.key').id + '-cohorts';
    section.setAttribute('aria-labelledby', titleId);
    const h = el('h4', null, 'Cohorts');
    h.id = titleId;
    section.appendChild(h);
    section.appendChild(el('p', 'cohort-order', 'Exclude wins over include; both win over the percent.'));
    const dl = el('dl', 'facts cohort-lists');
    for (const [label, cls] of [['Files: include', 'files-include'], ['Files: exclude', 'files-exclude'],
      ['Operator: include', 'operator-include'], ['Operator: exclude', 'operator-exclude']]) {
      const div = el('div');
      div.appendChild(el('dt', null, label));
      div.appendChild(el('dd', cls));
      dl.appendChild(div);
    }
    section.appendChild(dl);

    const form = el('form', 'cohort-form');
    form.noValidate = true;
    const unitLabel = el('label', 'cohort-unit-label', 'Unit ');
    const unit = el('input', 'cohort-unit');
    unit.type = 'text';
    unit.maxLength = 256;
    unit.autocomplete = 'off';
    unitLabel.appendChild(unit);
    const reasonLabel = el('label', 'cohort-reason-label', 'Why (recorded in the audit log) ');
    const reason = el('input', 'cohort-reason');
    reason.type = 'text';
    reason.maxLength = 500;
    reasonLabel.appendChild(reason);
    form.appendChild(unitLabel);
    form.appendChild(reasonLabel);
    const buttons = el('div', 'buttons');
    const include = el('button', 'cohort-include', 'Include');
    include.type = 'button';
    const exclude = el('button', 'cohort-exclude', 'Exclude');
    exclude.type = 'button';
    buttons.appendChild(include);
    buttons.appendChild(exclude);
    form.appendChild(buttons);
    section.appendChild(form);
    const message = el('p', 'cohort-message');
    message.setAttribute('role', 'status');
    message.setAttribute('aria-live', 'polite');
    section.appendChild(message);

    const say = (sentence, tone) => {
      message.textContent = sentence;
      if (tone) message.dataset.tone = tone; else delete message.dataset.tone;
    };
    const send = async (action, units, why) => {
      const view = card.view;
      const revision = view ? view.revision : null;
      if (why.trim() === '') {
        reason.setAttribute('aria-invalid', 'true');
        say('Give a reason: it goes into the audit log.', 'bad');
        reason.focus();
        return;
      }
      reason.removeAttribute('aria-invalid');
      try {
        const answer = await window.crossfadeConsole.api('POST', '/admin/v1/migrations/'
          + encodeURIComponent(card.key) + '/' + action, { body: { units: units, reason: why.trim() }, ifMatch: revision });
        const next = answer.body;
        if (next && next.key) {
          window.crossfadeConsole.state().migrations.set(next.key, next);
          card.update(next);
        }
        unit.value = '';
        reason.value = '';
        say(action[0].toUpperCase() + action.slice(1) + ' done: ' + units.join(', ') + ' (revision '
          + (next ? next.revision : '?') + ').', 'ok');
      } catch (err) {
        if (err.status === 412) {
          say('Someone changed ' + card.key + ' since you looked (you acted on revision ' + revision
            + '). Nothing was changed; check the current lists and try again.', 'bad');
        } else {
          say(err.message, 'bad');
        }
      }
    };
    const add = (action) => {
      const u = unit.value.trim();
      if (u === '') {
        unit.setAttribute('aria-invalid', 'true');
        say('Name the unit to ' + action + '.', 'bad');
        unit.focus();
        return;
      }
      unit.removeAttribute('aria-invalid');
      send(action, [u], reason.value);
    };
    include.addEventListener('click', () => add('include'));
    exclude.addEventListener('click', () => add('exclude'));
    section.removeUnit = (action, u) => send(action, [u], reason.value);
    return section;
  }

  function renderOperatorList(section, dd, units, action) {
    dd.textContent = '';
    if (!units || units.length === 0) {
      dd.textContent = 'none';
      return;
    }
    const ul = el('ul', 'cohort-units');
    for (const u of units) {
      const li = el('li');
      li.appendChild(el('span', 'cohort-unit-name', u));
      const b = el('button', 'quiet cohort-remove', 'Remove ' + u);
      b.type = 'button';
      b.addEventListener('click', () => section.removeUnit(action, u));
      li.appendChild(b);
      ul.appendChild(li);
    }
    dd.appendChild(ul);
  }

  window.crossfadeCohorts = {
    /** Shows the cohorts of {@code view} in {@code card}, adding the section on first use. */
    render: function (card, view) {
      let section = card.root.querySelector('section.cohorts');
      if (!section) {
        section = build(card);
        card.root.appendChild(section);
      }
      const c = view.cohorts || { include: [], exclude: [], operatorInclude: [], operatorExclude: [] };
      section.querySelector('.files-include').textContent = describeFiles(c.include);
      section.querySelector('.files-exclude').textContent = describeFiles(c.exclude);
      renderOperatorList(section, section.querySelector('.operator-include'), c.operatorInclude, 'uninclude');
      renderOperatorList(section, section.querySelector('.operator-exclude'), c.operatorExclude, 'unexclude');
    },
  };
})();
