// Placeholder of the topology page; replaced by the topology issue.
document.body.textContent = 'P2P topology';
