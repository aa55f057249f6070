// The app's entry: styles, then the app into #app.

import { render } from 'preact';
import { App } from './app/App';
import './styles/index.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
