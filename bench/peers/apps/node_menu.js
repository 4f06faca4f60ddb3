// One Node USSD server for bench/peers: the menu of menu.json on ussd-builder or ussd-menu-builder
// (their API is the same: ussd-builder is a fork), or the bare express ceiling (a fixed CON page).
//
//   NODE_PATH=<scratch>/node/node_modules node node_menu.js <ussd-builder|ussd-menu-builder|bare> <menu.json> <port>
//
// Africa's Talking dialect: a form POST with sessionId, serviceCode, phoneNumber and text (every
// input so far joined by '*'); the libraries keep no session and re-walk `text` from the start
// state on every hop, which is how their READMEs use them.
'use strict';
const fs = require('fs');
const express = require('express');

const [library, menuPath, port] = process.argv.slice(2);
const app = express();
app.use(express.urlencoded({ extended: false }));
app.get('/healthz', (req, res) => res.send('ok'));

if (library === 'bare') {
  app.post('/ussd/africastalking', (req, res) => res.send('CON Welcome\n1. Services'));
} else if (library === 'ussd-builder' || library === 'ussd-menu-builder') {
  const UssdMenu = require(library);
  const description = JSON.parse(fs.readFileSync(menuPath, 'utf8'));
  // One menu for the process, as in the libraries' READMEs: run() resolves the route in
  // microtasks started by the request's own callback, so hops do not see each other's state.
  const menu = new UssdMenu();
  for (const [name, page] of Object.entries(description.pages)) {
    const options = { run: () => menu.con(page.text), next: page.next };
    if (name === description.start) {
      menu.startState(options);
    } else {
      menu.state(name, options);
    }
  }
  app.post('/ussd/africastalking', (req, res) => {
    menu.run(req.body, (result) => res.send(result));
  });
} else {
  console.error(`unknown library ${library}: ussd-builder, ussd-menu-builder or bare`);
  process.exit(2);
}

app.listen(Number(port), '127.0.0.1');
