console.log("procmesh: example app lands with the worker host");
